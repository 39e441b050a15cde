package org.apbj.kernels.runtime;

/**
 * Device work recorded once by {@link Device#capture} and run again with {@link #replay}: on CUDA
 * a graph (every launch and copy of the recorded work, with the arguments they had then, goes to
 * the device in one call), elsewhere the recorded {@link Runnable} run again. Values that change
 * from one replay to the next must therefore live in device memory, read by the kernels. Close it
 * to free the graph.
 */
public interface Replayable extends AutoCloseable {

    /** Enqueues the recorded work once more on the device's stream; returns without waiting. */
    void replay();

    /** Whether replays go to the device as a graph (false: the work is run again from the host). */
    boolean isGraph();

    @Override
    void close();

    /** The fallback of devices without graphs: each replay runs {@code work} again. */
    static Replayable rerun(Runnable work) {
        return new Replayable() {
            private boolean closed;

            @Override
            public void replay() {
                if (closed) throw new IllegalStateException("this replayable work is closed");
                work.run();
            }

            @Override public boolean isGraph() { return false; }

            @Override public void close() { closed = true; }
        };
    }
}
