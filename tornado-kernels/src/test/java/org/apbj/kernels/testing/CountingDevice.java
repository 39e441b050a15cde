package org.apbj.kernels.testing;

import java.util.concurrent.atomic.AtomicLong;

import org.apbj.kernels.api.DeviceArray;
import org.apbj.kernels.api.Kernel;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.DeviceCapabilities;
import org.apbj.kernels.runtime.Grid;
import org.apbj.kernels.runtime.Marker;

/**
 * A device that counts how often its caller makes the host wait: {@link #synchronize()} and
 * {@link #copy} (synchronous) calls, split by direction, against queued copies and launches.
 * Everything else goes to the wrapped device.
 */
public final class CountingDevice implements Device {
    private final Device inner;
    public final AtomicLong synchronizations = new AtomicLong();
    public final AtomicLong copiesToHost = new AtomicLong();
    public final AtomicLong otherWaitingCopies = new AtomicLong();
    public final AtomicLong enqueuedCopies = new AtomicLong();
    public final AtomicLong launches = new AtomicLong();
    public final AtomicLong marks = new AtomicLong();

    public CountingDevice(Device inner) { this.inner = inner; }

    /** Calls that made the host wait for the device. */
    public long waits() { return synchronizations.get() + copiesToHost.get() + otherWaitingCopies.get(); }

    public void reset() {
        for (AtomicLong c : new AtomicLong[] {synchronizations, copiesToHost, otherWaitingCopies, enqueuedCopies, launches, marks}) {
            c.set(0);
        }
    }

    @Override public Backend backend() { return inner.backend(); }
    @Override public String name() { return "counting " + inner.name(); }
    @Override public DeviceCapabilities capabilities() { return inner.capabilities(); }
    @Override public <A extends DeviceArray> A alloc(Class<A> type, long length) { return inner.alloc(type, length); }

    @Override
    public void copy(DeviceArray dst, long dstIndex, DeviceArray src, long srcIndex, long count) {
        if (dst.isHostAccessible() && !src.isHostAccessible()) copiesToHost.incrementAndGet();
        else otherWaitingCopies.incrementAndGet();
        inner.copy(dst, dstIndex, src, srcIndex, count);
    }

    @Override
    public void enqueueCopy(DeviceArray dst, long dstIndex, DeviceArray src, long srcIndex, long count) {
        enqueuedCopies.incrementAndGet();
        inner.enqueueCopy(dst, dstIndex, src, srcIndex, count);
    }

    @Override
    public void launch(Kernel kernel, Grid grid, Object... args) {
        launches.incrementAndGet();
        inner.launch(kernel, grid, args);
    }

    /** Forwarded: the work's launches during capture are counted like any other. */
    @Override
    public org.apbj.kernels.runtime.Replayable capture(Runnable work) { return inner.capture(work); }

    @Override
    public boolean capturesGraphs() { return inner.capturesGraphs(); }

    /** Forwarded: the work run on it is counted like any other (it goes through this device). */
    @Override
    public org.apbj.kernels.runtime.SecondQueue openSecondQueue() { return inner.openSecondQueue(); }

    @Override
    public void synchronize() {
        synchronizations.incrementAndGet();
        inner.synchronize();
    }

    @Override
    public Marker mark() {
        marks.incrementAndGet();
        return inner.mark();
    }

    @Override public long preparationNanos() { return inner.preparationNanos(); }
    @Override public MemoryStats memory() { return inner.memory(); }
    @Override public void close() { inner.close(); }
    @Override public String toString() { return name(); }
}
