package org.apbj.kernels.runtime.opencl;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apbj.kernels.api.Buffer;

/** A cl_mem buffer: device memory, not readable from Java. */
final class OpenCLBuffer implements Buffer {
    private final OpenCLDevice device;
    private final MemorySegment mem;
    private final long bytes;
    private final AtomicBoolean open = new AtomicBoolean(true);

    OpenCLBuffer(OpenCLDevice device, MemorySegment mem, long bytes) {
        this.device = device;
        this.mem = mem;
        this.bytes = bytes;
    }

    MemorySegment mem() {
        if (!open.get()) throw new IllegalStateException("OpenCL buffer of " + bytes + " bytes on " + device.name() + " was freed");
        return mem;
    }

    @Override public long byteSize() { return bytes; }
    @Override public MemorySegment hostSegment() { return null; }
    /** The cl_mem handle, which kernels receive as their pointer argument. */
    @Override public long address() { return mem().address(); }
    @Override public Object owner() { return device; }

    @Override
    public void close() {
        if (open.compareAndSet(true, false)) device.release(this, mem);
    }
}
