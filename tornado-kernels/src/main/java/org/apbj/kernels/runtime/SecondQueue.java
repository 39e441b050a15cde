package org.apbj.kernels.runtime;

/**
 * A second in-order queue of work on a {@link Device}, beside the device's own (main) queue:
 * what {@link #run} enqueues (launches, copies, marks) may run beside the main queue's work and,
 * on CUDA, ahead of it and of other streams' work on the same GPU (a stream of the context's
 * greatest priority: the block scheduler starts its blocks first whenever a multiprocessor has
 * room; running blocks are not preempted). The two queues are ordered only where the caller
 * says so ({@link #afterMain}, {@link #mainAfter}); neither call waits on the host. Devices with
 * one in-order queue (Java, OpenCL) run the work in place ({@link #inOrder}), which satisfies
 * every ordering the caller asks for. One thread drives a device and its second queue at a time.
 */
public interface SecondQueue extends AutoCloseable {

    /**
     * Runs {@code body} on the calling thread; the device work it enqueues goes to this queue
     * (not nested). Synchronous copies in it wait for both queues.
     */
    void run(Runnable body);

    /** Later work of this queue waits for the work the main queue holds so far (no host wait). */
    void afterMain();

    /** Later work of the main queue waits for the work this queue holds so far (no host wait). */
    void mainAfter();

    /** Whether the work may run beside the main queue's (false: it runs in order with it). */
    boolean concurrent();

    @Override
    void close();

    /** The queue of a device with one in-order queue: {@link #run} runs the body in place; the orderings hold already. */
    static SecondQueue inOrder() {
        return new SecondQueue() {
            @Override public void run(Runnable body) { body.run(); }
            @Override public void afterMain() {}
            @Override public void mainAfter() {}
            @Override public boolean concurrent() { return false; }
            @Override public void close() {}
            @Override public String toString() { return "in-order second queue"; }
        };
    }
}
