package org.apbj.kernels.runtime;

import java.util.concurrent.atomic.AtomicLong;

/** Bytes a device has handed out now and at peak; thread-safe. */
public final class MemoryTracker {
    private final AtomicLong allocated = new AtomicLong();
    private final AtomicLong peak = new AtomicLong();
    private final AtomicLong liveBuffers = new AtomicLong();

    public void allocated(long bytes) {
        long now = allocated.addAndGet(bytes);
        liveBuffers.incrementAndGet();
        peak.accumulateAndGet(now, Math::max);
    }

    public void freed(long bytes) {
        allocated.addAndGet(-bytes);
        liveBuffers.decrementAndGet();
    }

    public long allocatedBytes() { return allocated.get(); }
    public long peakBytes() { return peak.get(); }
    /** Buffers allocated and not yet freed. */
    public long liveBuffers() { return liveBuffers.get(); }
}
