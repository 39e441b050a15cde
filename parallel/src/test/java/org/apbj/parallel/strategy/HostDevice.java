package org.apbj.parallel.strategy;

import java.lang.foreign.MemorySegment;
import java.util.List;
import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.DeviceArray;
import org.apbj.kernels.api.F16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.I64Array;
import org.apbj.kernels.api.I8Array;
import org.apbj.kernels.api.Kernel;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.DeviceCapabilities;
import org.apbj.kernels.runtime.Grid;
import org.apbj.kernels.runtime.SecondQueue;

/**
 * A test device whose arrays are plain host memory; it launches no kernels (HostLayerSteps computes
 * in Java). Its second queue runs work in place; given a log, it writes down the queue's orderings
 * ("afterMain", "mainAfter") and tells {@link #inSecondQueue} while its run is under way.
 */
final class HostDevice implements Device {
    private final List<String> log;
    private boolean inSecond;

    HostDevice() { this(null); }

    HostDevice(List<String> log) { this.log = log; }

    /** Whether a second queue's run is under way (work enqueued now goes to that queue). */
    boolean inSecondQueue() { return inSecond; }

    @Override
    public SecondQueue openSecondQueue() {
        if (log != null) log.add("openSecondQueue");
        return new SecondQueue() {
            @Override
            public void run(Runnable body) {
                if (inSecond) throw new IllegalStateException("nested second-queue run");
                inSecond = true;
                try {
                    body.run();
                } finally {
                    inSecond = false;
                }
            }

            @Override public void afterMain() { if (log != null) log.add("afterMain"); }
            @Override public void mainAfter() { if (log != null) log.add("mainAfter"); }
            @Override public boolean concurrent() { return false; }
            @Override public void close() {}
        };
    }

    @Override public Backend backend() { return Backend.JAVA; }
    @Override public String name() { return "host test device"; }
    @Override public DeviceCapabilities capabilities() { return DeviceCapabilities.portable(Integer.MAX_VALUE, 1024, 1); }

    @Override
    @SuppressWarnings("unchecked")
    public <A extends DeviceArray> A alloc(Class<A> type, long length) {
        Object a;
        if (type == F32Array.class) a = F32Array.allocate(length);
        else if (type == BF16Array.class) a = BF16Array.allocate(length);
        else if (type == I32Array.class) a = I32Array.allocate(length);
        else if (type == F16Array.class) a = new F16Array(org.apbj.kernels.api.HostBuffer.allocate(length * 2));
        else if (type == I64Array.class) a = new I64Array(org.apbj.kernels.api.HostBuffer.allocate(length * 8));
        else if (type == I8Array.class) a = new I8Array(org.apbj.kernels.api.HostBuffer.allocate(length));
        else throw new IllegalArgumentException("unknown array type " + type);
        return (A) a;
    }

    @Override
    public void copy(DeviceArray dst, long dstIndex, DeviceArray src, long srcIndex, long count) {
        if (dst.getClass() != src.getClass()) throw new IllegalArgumentException("copy between " + src + " and " + dst);
        int eb = src.elementBytes();
        if ((srcIndex + count) > src.length() || (dstIndex + count) > dst.length()) {
            throw new IndexOutOfBoundsException("copy of " + count + " from " + srcIndex + " of " + src + " to " + dstIndex + " of " + dst);
        }
        MemorySegment.copy(src.segment(), srcIndex * eb, dst.segment(), dstIndex * eb, count * eb);
    }

    @Override public void launch(Kernel kernel, Grid grid, Object... args) { throw new UnsupportedOperationException("host test device runs no kernels"); }
    @Override public void synchronize() {}
    @Override public MemoryStats memory() { return new MemoryStats(0, 0, Long.MAX_VALUE, Long.MAX_VALUE); }
    @Override public void close() {}
}
