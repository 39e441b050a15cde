package org.apbj.parallel.transfer;

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
final class QueueLane extends SynchronousLane {
    private final Device device;

    QueueLane(Device device) { this.device = device; }


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

    @Override public boolean canPull() { return false; }

}
