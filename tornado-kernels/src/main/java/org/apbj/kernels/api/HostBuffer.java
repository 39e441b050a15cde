package org.apbj.kernels.api;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Off-heap host memory, 64-byte aligned, zero-filled; or a view of a segment owned elsewhere. */
public final class HostBuffer implements Buffer {
    private final Arena arena;          // null for views: their owner frees them
    private final MemorySegment segment;

    private HostBuffer(Arena arena, MemorySegment segment) {
        this.arena = arena;
        this.segment = segment;
    }

    public static HostBuffer allocate(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("negative allocation: " + bytes + " bytes");
        Arena arena = Arena.ofShared();
        return new HostBuffer(arena, arena.allocate(Math.max(bytes, 1), 64).asSlice(0, bytes));
    }

    /** A view of memory that someone else owns (a mapped weight file, pinned memory). */
    public static HostBuffer view(MemorySegment segment) {
        return new HostBuffer(null, segment);
    }

    @Override public long byteSize() { return segment.byteSize(); }
    @Override public MemorySegment hostSegment() { return segment; }
    @Override public long address() { return segment.address(); }
    @Override public Object owner() { return null; }

    @Override
    public synchronized void close() {
        if (arena != null && arena.scope().isAlive()) arena.close();
    }
}
