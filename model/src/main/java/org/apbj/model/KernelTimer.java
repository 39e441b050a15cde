package org.apbj.model;

import org.apbj.kernels.runtime.Device;

/**
 * Accumulates {@link KernelTimes}. Off by default: launches then run asynchronously and only
 * the FLOP and launch counts grow. On: the device is synchronised before and after each launch
 * so its wall time belongs to that launch alone.
 */
public final class KernelTimer {
    private final Device device;
    private volatile boolean enabled;
    private long gemmNanos, attentionNanos, otherNanos, launches;
    private double gemmFlops, attentionFlops;

    public KernelTimer(Device device) { this.device = device; }

    public boolean enabled() { return enabled; }

    /** Turning timing on synchronises once so earlier asynchronous work is not billed to the next launch. */
    public void setEnabled(boolean on) {
        if (on && !enabled) device.synchronize();
        enabled = on;
    }

    public synchronized void reset() {
        gemmNanos = attentionNanos = otherNanos = launches = 0;
        gemmFlops = attentionFlops = 0;
    }

    public synchronized KernelTimes snapshot() {
        return new KernelTimes(gemmNanos, attentionNanos, otherNanos, gemmFlops, attentionFlops, launches);
    }

    /** Runs {@code launch} (one or more kernel launches of one kind) and books it. */
    public void run(KernelKind kind, double flops, Runnable launch) {
        if (!enabled) {
            launch.run();
            book(kind, flops, 0);
            return;
        }
        long t0 = System.nanoTime();
        launch.run();
        device.synchronize();
        book(kind, flops, System.nanoTime() - t0);
    }

    private synchronized void book(KernelKind kind, double flops, long nanos) {
        launches++;
        switch (kind) {
            case GEMM -> { gemmNanos += nanos; gemmFlops += flops; }
            case ATTENTION -> { attentionNanos += nanos; attentionFlops += flops; }
            case OTHER -> otherNanos += nanos;
        }
    }
}
