package org.apbj.kernels.api;

import java.lang.foreign.ValueLayout;

/** 8-bit signed integers (quantised weights, masks). */
public final class I8Array extends DeviceArray {
    private static final ValueLayout.OfByte LAYOUT = ValueLayout.JAVA_BYTE;

    public I8Array(Buffer buffer) { super(buffer, 1); }

    public static I8Array allocate(long length) { return new I8Array(HostBuffer.allocate(length * 1)); }

    public static I8Array fromArray(byte... values) {
        I8Array a = allocate(values.length);
        for (int i = 0; i < values.length; i++) a.set(i, values[i]);
        return a;
    }

    @Override public int elementBytes() { return 1; }

    public byte get(int i) { return segment().getAtIndex(LAYOUT, i); }
    public byte get(long i) { return segment().getAtIndex(LAYOUT, i); }
    public void set(int i, byte v) { segment().setAtIndex(LAYOUT, i, v); }
    public void set(long i, byte v) { segment().setAtIndex(LAYOUT, i, v); }

    public byte[] toArray() { return segment().toArray(LAYOUT); }

    public void fill(byte v) { for (long i = 0; i < length(); i++) set(i, v); }
}
