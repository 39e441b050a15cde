package org.apbj.kernels.api;

import java.lang.foreign.ValueLayout;

/** 32-bit floats. */
public final class F32Array extends DeviceArray {
    private static final ValueLayout.OfFloat LAYOUT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    public F32Array(Buffer buffer) { super(buffer, 4); }

    public static F32Array allocate(long length) { return new F32Array(HostBuffer.allocate(length * 4)); }

    public static F32Array fromArray(float... values) {
        F32Array a = allocate(values.length);
        for (int i = 0; i < values.length; i++) a.set(i, values[i]);
        return a;
    }

    @Override public int elementBytes() { return 4; }

    public float get(int i) { return segment().getAtIndex(LAYOUT, i); }
    public float get(long i) { return segment().getAtIndex(LAYOUT, i); }
    public void set(int i, float v) { segment().setAtIndex(LAYOUT, i, v); }
    public void set(long i, float v) { segment().setAtIndex(LAYOUT, i, v); }

    public float[] toArray() { return segment().toArray(LAYOUT); }

    public void fill(float v) { for (long i = 0; i < length(); i++) set(i, v); }

    private static final java.lang.invoke.VarHandle ATOMIC = ValueLayout.JAVA_INT.arrayElementVarHandle();

    /** Atomically adds {@code v} to element {@code i}; returns the previous value. */
    public float atomicAdd(int i, float v) {
        var s = segment();
        while (true) {
            int old = (int) ATOMIC.getVolatile(s, 0L, (long) i);
            float next = Float.intBitsToFloat(old) + v;
            if (ATOMIC.compareAndSet(s, 0L, (long) i, old, Float.floatToRawIntBits(next))) {
                return Float.intBitsToFloat(old);
            }
        }
    }
}
