package org.apbj.kernels.api;

import java.lang.foreign.ValueLayout;

/** 32-bit signed integers. */
public final class I32Array extends DeviceArray {
    private static final ValueLayout.OfInt LAYOUT = ValueLayout.JAVA_INT_UNALIGNED;

    public I32Array(Buffer buffer) { super(buffer, 4); }

    public static I32Array allocate(long length) { return new I32Array(HostBuffer.allocate(length * 4)); }

    public static I32Array fromArray(int... values) {
        I32Array a = allocate(values.length);
        for (int i = 0; i < values.length; i++) a.set(i, values[i]);
        return a;
    }

    @Override public int elementBytes() { return 4; }

    public int get(int i) { return segment().getAtIndex(LAYOUT, i); }
    public int get(long i) { return segment().getAtIndex(LAYOUT, i); }
    public void set(int i, int v) { segment().setAtIndex(LAYOUT, i, v); }
    public void set(long i, int v) { segment().setAtIndex(LAYOUT, i, v); }

    public int[] toArray() { return segment().toArray(LAYOUT); }

    public void fill(int v) { for (long i = 0; i < length(); i++) set(i, v); }

    private static final java.lang.invoke.VarHandle ATOMIC = ValueLayout.JAVA_INT.arrayElementVarHandle();

    /** Atomically adds {@code v} to element {@code i}; returns the previous value. */
    public int atomicAdd(int i, int v) { return (int) ATOMIC.getAndAdd(segment(), 0L, (long) i, v); }
}
