package org.apbj.kernels.runtime;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.DeviceArray;
import org.apbj.kernels.api.F16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.I64Array;
import org.apbj.kernels.api.I8Array;
import org.apbj.kernels.api.Kernel;

/**
 * One compute device. Every backend runs the same kernels through the same {@link #launch}
 * call; arrays allocated here live on the device (host-readable only on the Java device).
 * Close it (try-with-resources) to free everything it allocated.
 */
public interface Device extends AutoCloseable {

    Backend backend();

    /** Human-readable, e.g. "cuda:0 NVIDIA H100 80GB HBM3 (sm_90)". */
    String name();

    /**
     * What the hardware offers (tensor cores, cp.async, shared memory per group, ...): the kernel
     * library chooses among its kernels by this, never by the device's class.
     */
    DeviceCapabilities capabilities();

    /** Allocates a zero-filled array of {@code length} elements on this device. */
    <A extends DeviceArray> A alloc(Class<A> type, long length);

    default F32Array allocF32(long n) { return alloc(F32Array.class, n); }
    default BF16Array allocBF16(long n) { return alloc(BF16Array.class, n); }
    default F16Array allocF16(long n) { return alloc(F16Array.class, n); }
    default I32Array allocI32(long n) { return alloc(I32Array.class, n); }
    default I64Array allocI64(long n) { return alloc(I64Array.class, n); }
    default I8Array allocI8(long n) { return alloc(I8Array.class, n); }

    /**
     * Copies {@code count} elements between any two arrays of the same element type, each on
     * the host or on this device (host→device, device→host, device→device). Synchronous.
     */
    void copy(DeviceArray dst, long dstIndex, DeviceArray src, long srcIndex, long count);

    default void copyIn(DeviceArray deviceDst, DeviceArray hostSrc) {
        copy(deviceDst, 0, hostSrc, 0, hostSrc.length());
    }

    /**
     * Copies like {@link #copy} without waiting for earlier work: the copy takes its place in
     * this device's order of work (later launches and copies see its result), and the call
     * returns as soon as a host source may be reused. A host destination holds the data only
     * once {@link #synchronize()} has returned; read device data into the host with
     * {@link #copy}, which waits. Default: {@link #copy}.
     */
    default void enqueueCopy(DeviceArray dst, long dstIndex, DeviceArray src, long srcIndex, long count) {
        copy(dst, dstIndex, src, srcIndex, count);
    }

    default void copyOut(DeviceArray hostDst, DeviceArray deviceSrc) {
        copy(hostDst, 0, deviceSrc, 0, deviceSrc.length());
    }

    /** A device copy of a host array. */
    default <A extends DeviceArray> A upload(A host) {
        @SuppressWarnings("unchecked")
        A d = (A) alloc(host.getClass(), host.length());
        copyIn(d, host);
        return d;
    }

    /**
     * Launches {@code kernel} over {@code grid}. Arguments follow the kernel's parameters
     * after its KernelContext: device arrays of this device and boxed primitives of the exact
     * parameter type. A wrong count or type fails before anything runs. May return before
     * the kernel finishes; {@link #synchronize()} waits.
     */
    void launch(Kernel kernel, Grid grid, Object... args);

    /** Waits for all launched work; a kernel fault surfaces here, naming the kernel. */
    void synchronize();

    /**
     * Marks the current end of this device's work without waiting for it (see {@link Marker}):
     * device time between two marks measures the work enqueued between them, with no
     * synchronisation in between. Default, for devices without events: synchronise, then take
     * a host timestamp.
     */
    default Marker mark() {
        synchronize();
        return Marker.hostTime(System.nanoTime());
    }

    /**
     * Host nanoseconds this device has spent so far preparing kernels for their first launch
     * on it: compiling them for its target and loading or building the result (cached
     * specialisations cost nothing). What a "first compile" costs, apart from running kernels.
     * Default: 0 (nothing to prepare).
     */
    default long preparationNanos() { return 0; }

    /**
     * Records the device work that {@code work} enqueues (launches, device copies) without running
     * it, for {@link Replayable#replay} to run as often as needed. CUDA devices record a graph
     * (stream capture): {@code work} must not wait for the device, allocate, or copy to or from
     * host memory, and every kernel it launches should have been launched once before (module
     * loads are not captured); a violation fails the capture with the driver's error. Devices
     * without graphs ({@link #capturesGraphs()} false) return work that runs {@code work} again
     * at each replay. A device whose backend is CUDA must implement it: the default refuses, so
     * that a wrapper that forgets to forward it never silently runs without graphs.
     */
    default Replayable capture(Runnable work) {
        if (backend() == Backend.CUDA) {
            throw new UnsupportedOperationException(name() + " is a CUDA device but " + getClass().getName()
                    + " does not implement capture: forward it to the device it wraps");
        }
        return Replayable.rerun(work);
    }

    /** Whether {@link #capture} records a device graph (CUDA) rather than a host re-run. */
    default boolean capturesGraphs() { return false; }

    /**
     * A second queue of work on this device ({@link SecondQueue}): on CUDA a stream of the
     * greatest priority, whose work runs beside the main stream's and is scheduled ahead of other
     * streams'; devices with one in-order queue run its work in place. Close it before the device.
     * A device whose backend is CUDA must implement it: the default refuses, so that a wrapper
     * that forgets to forward it never silently runs the work in order.
     */
    default SecondQueue openSecondQueue() {
        if (backend() == Backend.CUDA) {
            throw new UnsupportedOperationException(name() + " is a CUDA device but " + getClass().getName()
                    + " does not implement openSecondQueue: forward it to the device it wraps");
        }
        return SecondQueue.inOrder();
    }

    /** Bytes allocated now and at peak through this device, and the device's free/total. */
    MemoryStats memory();

    @Override
    void close();

    record MemoryStats(long allocatedBytes, long peakBytes, long freeBytes, long totalBytes) {}
}
