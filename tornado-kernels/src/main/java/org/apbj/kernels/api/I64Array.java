package org.apbj.kernels.api;

import java.lang.foreign.ValueLayout;

/** 64-bit signed integers. */
public final class I64Array extends DeviceArray {
    private static final ValueLayout.OfLong LAYOUT = ValueLayout.JAVA_LONG_UNALIGNED;

    public I64Array(Buffer buffer) { super(buffer, 8); }

    public static I64Array allocate(long length) { return new I64Array(HostBuffer.allocate(length * 8)); }

    public static I64Array fromArray(long... values) {
        I64Array a = allocate(values.length);
        for (int i = 0; i < values.length; i++) a.set(i, values[i]);
        return a;
    }

    @Override public int elementBytes() { return 8; }

    public long get(int i) { return segment().getAtIndex(LAYOUT, i); }
    public long get(long i) { return segment().getAtIndex(LAYOUT, i); }
    public void set(int i, long v) { segment().setAtIndex(LAYOUT, i, v); }
    public void set(long i, long v) { segment().setAtIndex(LAYOUT, i, v); }

    public long[] toArray() { return segment().toArray(LAYOUT); }

    public void fill(long v) { for (long i = 0; i < length(); i++) set(i, v); }
}
