package org.apbj.kernels.runtime.cuda;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apbj.kernels.api.Buffer;

/** Device memory from cuMemAlloc_v2: passed to kernels and copied, not readable from Java. */
final class CudaBuffer implements Buffer {
    private final CudaDevice device;
    private final long pointer;
    private final long bytes;
    private final AtomicBoolean open = new AtomicBoolean(true);

    CudaBuffer(CudaDevice device, long pointer, long bytes) {
        this.device = device;
        this.pointer = pointer;
        this.bytes = bytes;
    }

    long pointer() {
        if (!open.get()) throw new IllegalStateException("CUDA buffer of " + bytes + " bytes on " + device.name() + " was freed");
        return pointer;
    }

    @Override public long byteSize() { return bytes; }
    @Override public MemorySegment hostSegment() { return null; }
    /** The CUdeviceptr kernels receive. */
    @Override public long address() { return pointer(); }
    @Override public Object owner() { return device; }

    @Override
    public void close() {
        if (open.compareAndSet(true, false)) device.release(this, pointer);
    }
}
