package org.apbj.parallel.transfer;

/** One way of moving the bytes of a device collective; runs on the communication thread. */
interface PathRunner extends AutoCloseable {

    /**
     * Moves the bytes of {@code op} (collective; {@code seq} numbers it): returns once every rank
     * has queued its part (the bytes may still be moving on the device) with the marks the main
     * thread's compute must wait for.
     */
    Landing run(Exchange op, long seq);

    /**
     * The marks of one collective ({@link Lane#doneHandle}s; 0: nothing to wait for): after
     * {@code received} this rank's receive arrays hold the bytes; after every one of
     * {@code readersDone} the ranks that read this rank's send arrays are done with them.
     */
    record Landing(long received, long[] readersDone) {
        static Landing at(long received) { return new Landing(received, new long[0]); }
    }

    @Override
    default void close() {}
}
