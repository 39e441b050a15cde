package org.apbj.kernels.runtime.cuda;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apbj.kernels.api.Buffer;

/**
 * Page-locked host memory from cuMemHostAlloc (portable: pinned for every context): host
 * memory readable from Java that the GPU copies at full bus speed. Acts as plain host memory
 * (owner {@code null}); freed with cuMemFreeHost.
 */
final class PinnedBuffer implements Buffer {
    private final CudaDevice device;
    private final MemorySegment segment;
    private final AtomicBoolean open = new AtomicBoolean(true);

    PinnedBuffer(CudaDevice device, MemorySegment segment) {
        this.device = device;
        this.segment = segment;
    }

    @Override public long byteSize() { return segment.byteSize(); }
    @Override public MemorySegment hostSegment() { return segment; }
    @Override public long address() { return segment.address(); }
    @Override public Object owner() { return null; }

    @Override
    public void close() {
        if (open.compareAndSet(true, false)) device.releasePinned(this, segment);
    }
}
