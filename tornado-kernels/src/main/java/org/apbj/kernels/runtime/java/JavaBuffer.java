package org.apbj.kernels.runtime.java;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apbj.kernels.api.Buffer;

/** Host memory owned by a {@link JavaDevice}: counted in its memory statistics, freed with it. */
final class JavaBuffer implements Buffer {
    private final JavaDevice device;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment segment;
    private final AtomicBoolean open = new AtomicBoolean(true);

    JavaBuffer(JavaDevice device, long bytes) {
        this.device = device;
        // 64-byte alignment, at least one byte so every buffer has a distinct address
        this.segment = arena.allocate(Math.max(bytes, 1), 64).asSlice(0, bytes);
    }

    @Override public long byteSize() { return segment.byteSize(); }
    @Override public MemorySegment hostSegment() { return segment; }
    @Override public long address() { return segment.address(); }
    @Override public Object owner() { return device; }

    boolean isOpen() { return open.get(); }

    @Override
    public void close() {
        if (open.compareAndSet(true, false)) {
            arena.close();
            device.released(this);
        }
    }
}
