package org.apbj.parallel.strategy;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.DeviceArray;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.runtime.Device;

/**
 * Moves device data to and from the Java arrays MPJ Express sends: device array -> host staging
 * array (one per element type, grown on demand, then reused) -> Java array, and back. Arrays the
 * host can read directly (the Java device) skip the staging copy. Copies to the device are
 * queued ({@link Device#enqueueCopy}: the staging array is free again when the call returns);
 * copies to the host wait, since the host is about to read the data.
 */
public final class HostStaging implements AutoCloseable {

    private final Device device;
    private BF16Array shorts = BF16Array.allocate(0);
    private F32Array floats = F32Array.allocate(0);
    private I32Array ints = I32Array.allocate(0);

    public HostStaging(Device device) { this.device = device; }

    public void toHost(BF16Array src, long srcIndex, short[] dst, int dstOffset, int count) {
        MemorySegment seg = readable(src, srcIndex, count);
        long base = src.isHostAccessible() ? srcIndex : 0;
        MemorySegment.copy(seg, ValueLayout.JAVA_SHORT_UNALIGNED, base * 2, dst, dstOffset, count);
    }

    public void toHost(F32Array src, long srcIndex, float[] dst, int dstOffset, int count) {
        MemorySegment seg = readable(src, srcIndex, count);
        long base = src.isHostAccessible() ? srcIndex : 0;
        MemorySegment.copy(seg, ValueLayout.JAVA_FLOAT_UNALIGNED, base * 4, dst, dstOffset, count);
    }

    public void toDevice(short[] src, int srcOffset, BF16Array dst, long dstIndex, int count) {
        if (dst.isHostAccessible()) {
            MemorySegment.copy(src, srcOffset, dst.segment(), ValueLayout.JAVA_SHORT_UNALIGNED, dstIndex * 2, count);
            return;
        }
        if (shorts.length() < count) shorts = grow(shorts, BF16Array.allocate(capacity(shorts, count)));
        MemorySegment.copy(src, srcOffset, shorts.segment(), ValueLayout.JAVA_SHORT_UNALIGNED, 0, count);
        device.enqueueCopy(dst, dstIndex, shorts, 0, count);
    }

    public void toDevice(float[] src, int srcOffset, F32Array dst, long dstIndex, int count) {
        if (dst.isHostAccessible()) {
            MemorySegment.copy(src, srcOffset, dst.segment(), ValueLayout.JAVA_FLOAT_UNALIGNED, dstIndex * 4, count);
            return;
        }
        if (floats.length() < count) floats = grow(floats, F32Array.allocate(capacity(floats, count)));
        MemorySegment.copy(src, srcOffset, floats.segment(), ValueLayout.JAVA_FLOAT_UNALIGNED, 0, count);
        device.enqueueCopy(dst, dstIndex, floats, 0, count);
    }

    public void toDevice(int[] src, I32Array dst) {
        if (dst.isHostAccessible()) {
            MemorySegment.copy(src, 0, dst.segment(), ValueLayout.JAVA_INT_UNALIGNED, 0, src.length);
            return;
        }
        if (ints.length() < src.length) ints = grow(ints, I32Array.allocate(capacity(ints, src.length)));
        MemorySegment.copy(src, 0, ints.segment(), ValueLayout.JAVA_INT_UNALIGNED, 0, src.length);
        device.enqueueCopy(dst, 0, ints, 0, src.length);
    }

    /** The bytes of src[srcIndex, srcIndex + count): the array itself, or the staging copy of them. */
    private MemorySegment readable(DeviceArray src, long srcIndex, int count) {
        if (src.isHostAccessible()) return src.segment();
        if (src instanceof BF16Array) {
            if (shorts.length() < count) shorts = grow(shorts, BF16Array.allocate(capacity(shorts, count)));
            device.copy(shorts, 0, src, srcIndex, count);
            return shorts.segment();
        }
        if (floats.length() < count) floats = grow(floats, F32Array.allocate(capacity(floats, count)));
        device.copy(floats, 0, src, srcIndex, count);
        return floats.segment();
    }

    private static long capacity(DeviceArray old, int needed) { return Math.max(needed, old.length() * 2); }

    private static <A extends DeviceArray> A grow(DeviceArray old, A fresh) {
        old.close();
        return fresh;
    }

    @Override
    public void close() {
        shorts.close();
        floats.close();
        ints.close();
    }
}
