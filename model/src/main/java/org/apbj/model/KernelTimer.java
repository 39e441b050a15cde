package org.apbj.model;

import java.util.ArrayDeque;

import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.Marker;

/**
 * Accumulates {@link KernelTimes}. Off by default: launches run asynchronously and only the FLOP
 * and launch counts grow. On (profiling): every launch is bracketed by two device marks
 * ({@link Device#mark()}: CUDA events, OpenCL markers), so its device time is known without
 * synchronising; the marks are read when {@link #snapshot()} is asked for (which waits for the
 * device), or, past {@value #MAX_PENDING} unread launches, the oldest half is read then.
 */
public final class KernelTimer {
    static final int MAX_PENDING = 8192;

    private record Pending(KernelKind kind, Marker start, Marker end) {}

    private final Device device;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private volatile boolean enabled;
    private long gemmNanos, attentionNanos, otherNanos, launches;
    private double gemmFlops, attentionFlops;

    public KernelTimer(Device device) { this.device = device; }

    public boolean enabled() { return enabled; }

    public synchronized void setEnabled(boolean on) { enabled = on; }

    /** Forgets what was booked (unread marks included). */
    public synchronized void reset() {
        drop();
        gemmNanos = attentionNanos = otherNanos = launches = 0;
        gemmFlops = attentionFlops = 0;
    }

    /** The times so far: reads every outstanding mark, so it waits for the device. */
    public synchronized KernelTimes snapshot() {
        resolve(pending.size());
        return new KernelTimes(gemmNanos, attentionNanos, otherNanos, gemmFlops, attentionFlops, launches);
    }

    /** Runs {@code launch} (one or more kernel launches of one kind) and books it. */
    public void run(KernelKind kind, double flops, Runnable launch) {
        if (!enabled) {
            launch.run();
            count(kind, flops);
            return;
        }
        Marker start = device.mark();
        try {
            launch.run();
        } catch (RuntimeException e) {
            start.close();
            throw e;
        }
        Marker end = device.mark();
        synchronized (this) {
            pending.add(new Pending(kind, start, end));
            count(kind, flops);
            if (pending.size() > MAX_PENDING) resolve(pending.size() / 2);
        }
    }

    private void resolve(int count) {
        for (int i = 0; i < count; i++) {
            Pending p = pending.poll();
            try {
                long nanos = p.start().nanosUntil(p.end());
                switch (p.kind()) {
                    case GEMM -> gemmNanos += nanos;
                    case ATTENTION -> attentionNanos += nanos;
                    case OTHER -> otherNanos += nanos;
                }
            } finally {
                p.start().close();
                p.end().close();
            }
        }
    }

    private void drop() {
        for (Pending p : pending) {
            p.start().close();
            p.end().close();
        }
        pending.clear();
    }

    private synchronized void count(KernelKind kind, double flops) {
        launches++;
        switch (kind) {
            case GEMM -> gemmFlops += flops;
            case ATTENTION -> attentionFlops += flops;
            case OTHER -> { }
        }
    }

    /** Releases unread marks. */
    synchronized void close() { drop(); }
}
