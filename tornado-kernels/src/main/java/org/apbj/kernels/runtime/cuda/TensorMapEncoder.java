package org.apbj.kernels.runtime.cuda;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.apbj.kernels.api.TensorMap;
import org.apbj.kernels.runtime.KernelLaunchException;

/**
 * Turns a {@link TensorMap} into the 128-byte descriptor the bulk tensor copies read
 * (cuTensorMapEncodeTiled): bf16 elements, two or three dimensions (columns, rows at the map's
 * row stride, planes at its plane stride), no interleave, the map's swizzle, L2 promotion of 128-byte lines, zeros outside the
 * tensor. One encoder per launching thread: its argument arrays are reused.
 */
final class TensorMapEncoder {
    /** Bytes and alignment of a CUtensorMap. */
    static final int BYTES = 128, ALIGNMENT = 64;

    // CUtensorMapDataType, CUtensorMapInterleave, CUtensorMapSwizzle, CUtensorMapL2promotion, CUtensorMapFloatOOBfill
    private static final int BFLOAT16 = 9, INTERLEAVE_NONE = 0, SWIZZLE_NONE = 0, SWIZZLE_128B = 3, L2_PROMOTION_128B = 2,
            FILL_ZEROS = 0;

    private final MemorySegment dims, strides, box, elementStrides;

    TensorMapEncoder(Arena arena) {
        dims = arena.allocate(JAVA_LONG, 3);
        strides = arena.allocate(JAVA_LONG, 2);
        box = arena.allocate(JAVA_INT, 3);
        elementStrides = arena.allocate(JAVA_INT, 3);
        for (int i = 0; i < 3; i++) elementStrides.setAtIndex(JAVA_INT, i, 1);
    }

    /** Writes map's descriptor into {@code out} (128 bytes, 64-byte aligned). */
    void encode(CudaDriver drv, TensorMap map, MemorySegment out, String kernel) {
        if (drv.tensorMapEncodeTiled == null) {
            throw new KernelLaunchException(kernel + " takes a TensorMap, but this CUDA driver has no cuTensorMapEncodeTiled:"
                    + " install a CUDA 12 or later driver");
        }
        long address = map.source().buffer().address();
        if (address % 16 != 0) {
            throw new KernelLaunchException(kernel + ": a tensor map's array must start 16-byte aligned, " + map.source()
                    + " starts at " + address % 16 + " bytes past a boundary; allocate it whole rather than as a view");
        }
        dims.setAtIndex(JAVA_LONG, 0, map.width());
        dims.setAtIndex(JAVA_LONG, 1, map.height());
        dims.setAtIndex(JAVA_LONG, 2, map.depth());
        strides.setAtIndex(JAVA_LONG, 0, 2L * map.rowStride());
        strides.setAtIndex(JAVA_LONG, 1, 2L * map.planeStride());
        box.setAtIndex(JAVA_INT, 0, map.boxWidth());
        box.setAtIndex(JAVA_INT, 1, map.boxHeight());
        box.setAtIndex(JAVA_INT, 2, map.boxDepth());
        int swizzle = map.swizzle() == TensorMap.Swizzle.B128 ? SWIZZLE_128B : SWIZZLE_NONE;
        int r = drv.invoke(drv.tensorMapEncodeTiled, out, BFLOAT16, map.rank(), address, dims, strides, box, elementStrides,
                INTERLEAVE_NONE, swizzle, L2_PROMOTION_128B, FILL_ZEROS);
        if (r != 0) {
            throw new KernelLaunchException(kernel + ": cuTensorMapEncodeTiled refused the map " + map.width() + "x"
                    + map.height() + " (row stride " + map.rowStride() + ", box " + map.boxWidth() + "x" + map.boxHeight()
                    + ", swizzle " + map.swizzle() + "): " + drv.error(r, "cuTensorMapEncodeTiled").getMessage());
        }
    }
}
