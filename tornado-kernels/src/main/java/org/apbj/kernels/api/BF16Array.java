package org.apbj.kernels.api;

import java.lang.foreign.ValueLayout;

/** bfloat16 values stored as raw 16-bit patterns; {@link #getFloat} and {@link #setFloat} convert (round to nearest even). */
public final class BF16Array extends DeviceArray {
    private static final ValueLayout.OfShort LAYOUT = ValueLayout.JAVA_SHORT_UNALIGNED;

    public BF16Array(Buffer buffer) { super(buffer, 2); }

    public static BF16Array allocate(long length) { return new BF16Array(HostBuffer.allocate(length * 2)); }

    public static BF16Array fromArray(short... values) {
        BF16Array a = allocate(values.length);
        for (int i = 0; i < values.length; i++) a.set(i, values[i]);
        return a;
    }

    @Override public int elementBytes() { return 2; }

    public short get(int i) { return segment().getAtIndex(LAYOUT, i); }
    public short get(long i) { return segment().getAtIndex(LAYOUT, i); }
    public void set(int i, short v) { segment().setAtIndex(LAYOUT, i, v); }
    public void set(long i, short v) { segment().setAtIndex(LAYOUT, i, v); }

    public short[] toArray() { return segment().toArray(LAYOUT); }

    public void fill(short v) { for (long i = 0; i < length(); i++) set(i, v); }

    public float getFloat(int i) { return KernelMath.bf16ToFloat(get(i)); }
    public float getFloat(long i) { return KernelMath.bf16ToFloat(get(i)); }
    public void setFloat(int i, float v) { set(i, KernelMath.floatToBf16(v)); }
    public void setFloat(long i, float v) { set(i, KernelMath.floatToBf16(v)); }

    public static BF16Array fromFloats(float... values) {
        BF16Array a = allocate(values.length);
        for (int i = 0; i < values.length; i++) a.setFloat(i, values[i]);
        return a;
    }
}
