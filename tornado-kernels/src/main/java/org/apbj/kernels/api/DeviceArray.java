package org.apbj.kernels.api;

import java.lang.foreign.MemorySegment;

/**
 * A flat array of one element type without a header: what kernels index. Backed by a
 * {@link Buffer}; on a GPU the buffer is device memory and the array can only be passed to
 * kernels and copied, not read from Java.
 */
public abstract sealed class DeviceArray implements AutoCloseable
        permits F32Array, BF16Array, F16Array, I32Array, I8Array, I64Array {

    protected final Buffer buffer;
    protected final MemorySegment seg;   // null when device-only
    private final long size;

    protected DeviceArray(Buffer buffer, int elementBytes) {
        if (buffer.byteSize() % elementBytes != 0) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": buffer of "
                    + buffer.byteSize() + " bytes is not a multiple of " + elementBytes + "-byte elements");
        }
        this.buffer = buffer;
        this.seg = buffer.hostSegment();
        this.size = buffer.byteSize() / elementBytes;
    }

    /** Number of elements, as a long: weights of large models exceed 2^31 elements. */
    public final long length() { return size; }

    /** Number of elements; fails if it does not fit in an int (use {@link #length()}). */
    public final int size() {
        if (size > Integer.MAX_VALUE) throw new ArithmeticException(size + " elements: use length()");
        return (int) size;
    }

    public abstract int elementBytes();

    public final long byteSize() { return buffer.byteSize(); }

    public final Buffer buffer() { return buffer; }

    public final boolean isHostAccessible() { return seg != null; }

    /** The host bytes; fails with a clear message for device-only arrays. */
    public final MemorySegment segment() {
        if (seg == null) throw deviceOnly();
        return seg;
    }

    protected final RuntimeException deviceOnly() {
        return new IllegalStateException(getClass().getSimpleName() + " of " + size
                + " elements lives on device " + buffer.owner()
                + ": copy it to a host array (Device.copyOut) before reading it from Java");
    }

    @Override
    public void close() { buffer.close(); }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + size + (seg == null ? ", on " + buffer.owner() : "") + "]";
    }
}
