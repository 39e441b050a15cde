package org.apbj.kernels.api;

import java.lang.foreign.MemorySegment;

/**
 * The memory behind a device array: host memory (off-heap, a mapped file, pinned memory) or
 * memory of a device. Device runtimes implement it for their allocations; {@link HostBuffer}
 * is the plain host implementation.
 */
public interface Buffer extends AutoCloseable {
    long byteSize();

    /** The bytes as seen from Java, or {@code null} when they live on a device only. */
    MemorySegment hostSegment();

    /** The address kernels receive: a device pointer, or the host address for host buffers. */
    long address();

    /** The device that owns this memory, or {@code null} for plain host memory. */
    Object owner();

    /** Frees the memory (idempotent). Arrays over a closed buffer must not be used again. */
    @Override
    void close();
}
