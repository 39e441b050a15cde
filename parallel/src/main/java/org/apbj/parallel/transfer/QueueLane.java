package org.apbj.parallel.transfer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.apbj.kernels.api.DeviceArray;
import org.apbj.kernels.api.HostBuffer;
import org.apbj.kernels.runtime.ArrayTypes;
import org.apbj.kernels.runtime.Device;

/**
 * The lane of a device with one in-order queue and no second stream (OpenCL): copies go through
 * {@link Device#copy} on that queue, so they are ordered with the compute but do not overlap it.
 * Only the host path uses it.
 */
final class QueueLane implements Lane {
    private final Device device;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment[] staging = new MemorySegment[2];

    QueueLane(Device device) { this.device = device; }

    @Override public void markStart() {}
    @Override public void sideAfterStart() {}
    @Override public long startHandle() { return 0; }
    @Override public void sideAfterPeer(long handle) {}

    /** A host array of {@code like}'s element type over {@code bytes} of {@code seg}. */
    private static DeviceArray host(DeviceArray like, MemorySegment seg, long bytes) {
        return ArrayTypes.wrap(like.getClass(), HostBuffer.view(seg.asSlice(0, bytes)));
    }

    @Override
    public void toHost(DeviceArray src, long srcOffset, MemorySegment dst, long bytes) {
        int eb = src.elementBytes();
        device.copy(host(src, dst, bytes), 0, src, srcOffset / eb, bytes / eb);
    }

    @Override
    public void fromHost(DeviceArray dst, long dstOffset, MemorySegment src, long bytes) {
        int eb = dst.elementBytes();
        device.enqueueCopy(dst, dstOffset / eb, host(dst, src, bytes), 0, bytes / eb);   // the staging is free on return
    }

    @Override
    public void local(DeviceArray dst, long dstOffset, DeviceArray src, long srcOffset, long bytes) {
        int eb = dst.elementBytes();
        device.copy(dst, dstOffset / eb, src, srcOffset / eb, bytes / eb);
    }

    @Override
    public Object[] export(DeviceArray a, long offset) {
        throw new UnsupportedOperationException(device.name() + " cannot share device memory between ranks: use --comm-path host");
    }

    @Override
    public void pull(Object[] peerExport, DeviceArray dst, long dstOffset, long bytes) {
        throw new UnsupportedOperationException(device.name() + " cannot read another rank's device memory: use --comm-path host");
    }

    @Override public void recordSide(int slot) {}
    @Override public boolean awaitSide(int slot, long timeoutNanos) { return true; }
    @Override public boolean finishSide(long timeoutNanos) { return true; }
    @Override public void mainAfterTransfer() {}

    @Override
    public synchronized MemorySegment staging(int which, long bytes) {
        if (staging[which] == null || staging[which].byteSize() < bytes) staging[which] = arena.allocate(Math.max(bytes, 1), 64);
        return staging[which];
    }

    @Override public boolean canPull() { return false; }

    @Override public void close() { arena.close(); }
}
