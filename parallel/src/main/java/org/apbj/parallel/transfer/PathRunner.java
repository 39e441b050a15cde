package org.apbj.parallel.transfer;

/** One way of moving the bytes of a device collective; runs on the communication thread. */
interface PathRunner extends AutoCloseable {

    /** Moves the bytes of {@code op} (collective; {@code seq} numbers it) and returns once they have landed. */
    void run(Exchange op, long seq);

    @Override
    default void close() {}
}
