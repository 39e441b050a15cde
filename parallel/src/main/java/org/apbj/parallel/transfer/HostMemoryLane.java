package org.apbj.parallel.transfer;

import java.lang.foreign.MemorySegment;
import org.apbj.kernels.api.DeviceArray;

/**
 * The lane of a device whose arrays are host memory and whose work is done when the call that
 * queued it returns (the Java device): every copy is a memory copy on the calling thread, so the
 * marks are empty.
 */
final class HostMemoryLane extends SynchronousLane {


    @Override
    public void toHost(DeviceArray src, long srcOffset, MemorySegment dst, long bytes) {
        MemorySegment.copy(src.segment(), srcOffset, dst, 0, bytes);
    }

    @Override
    public void fromHost(DeviceArray dst, long dstOffset, MemorySegment src, long bytes) {
        MemorySegment.copy(src, 0, dst.segment(), dstOffset, bytes);
    }

    @Override
    public void local(DeviceArray dst, long dstOffset, DeviceArray src, long srcOffset, long bytes) {
        MemorySegment.copy(src.segment(), srcOffset, dst.segment(), dstOffset, bytes);
    }

    @Override
    public Object[] export(DeviceArray a, long offset) {
        return new Object[] {a.segment().asSlice(offset)};
    }

    @Override
    public void pull(Object[] peerExport, DeviceArray dst, long dstOffset, long bytes) {
        if (!(peerExport[0] instanceof MemorySegment src)) {
            throw new IllegalStateException("a peer's buffer is not host memory (" + peerExport[0] + "): every rank of the device path"
                    + " needs the same kind of device");
        }
        MemorySegment.copy(src, 0, dst.segment(), dstOffset, bytes);
    }

    @Override public boolean canPull() { return true; }

}
