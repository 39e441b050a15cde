package org.apbj.kernels.api;

/**
 * Bulk tensor copies (TMA, sm_90) between a {@link TensorMap} and shared memory. Loads complete
 * on an {@link Mbarrier}: one work-item issues the copy of a whole box, and the consumers wait on
 * the barrier, whose phase expects the box's bytes ({@link Mbarrier#arriveExpectTx} with
 * {@link TensorMap#boxBytes}). Stores complete in bulk groups ({@link #commit},
 * {@link #waitPending}) of the work-item that issued them.
 *
 * <p>The Java bodies are the meaning: a load copies the box at once, writing zeros for elements
 * outside the tensor, in the map's shared layout, then delivers the bytes to the barrier
 * (complete_tx); a store writes the box's elements inside the tensor at once. On PTX (sm_90 and
 * later) each is one {@code cp.async.bulk.tensor} instruction (.2d/.3d, mbarrier completion for
 * loads, bulk groups for stores); the map must be a kernel parameter, which the CUDA device
 * encodes with cuTensorMapEncodeTiled and passes by value. OpenCL kernels cannot take tensor maps.
 */
@IntrinsicClass
public final class BulkCopy {
    private BulkCopy() {}

    /**
     * Copies the box whose first element is column {@code x} (a multiple of 8: 16 bytes), row
     * {@code y} of the rank-2 {@code map} into {@code smem} from int index {@code smemAt} (bf16
     * pairs, the even column in the low half; with the 128-byte swizzle {@code smemAt} is a
     * multiple of {@link WarpGroup#ATOM_INTS}), then completes {@link TensorMap#boxBytes}
     * transaction bytes on {@code bars[barAt]}.
     */
    public static void load2d(KernelContext ctx, int[] smem, int smemAt, TensorMap map, int x, int y, long[] bars, int barAt) {
        requireRank(map, 2, "load2d");
        copyBox(smem, smemAt, map, x, y, 0, false, "load2d");
        Mbarrier.completeTx(bars, barAt, map.boxBytes());
    }

    /** As {@link #load2d} for a rank-3 map: the box starting at plane {@code z} lands plane after plane. */
    public static void load3d(KernelContext ctx, int[] smem, int smemAt, TensorMap map, int x, int y, int z, long[] bars,
                              int barAt) {
        requireRank(map, 3, "load3d");
        copyBox(smem, smemAt, map, x, y, z, false, "load3d");
        Mbarrier.completeTx(bars, barAt, map.boxBytes());
    }

    /**
     * Stores the box of {@code smem} from {@code smemAt} (laid out as {@link #load2d} lands one)
     * to column {@code x}, row {@code y} of the rank-2 {@code map}; elements outside the tensor
     * are not written. On the GPU the store is asynchronous: shared memory written by ordinary
     * stores must pass {@link WarpGroup#fenceAsyncProxy} and a barrier first, and the issuing
     * work-item must {@link #commit} and {@link #waitPending} before the box's shared memory is
     * written again or the kernel's results are read.
     */
    public static void store2d(KernelContext ctx, int[] smem, int smemAt, TensorMap map, int x, int y) {
        requireRank(map, 2, "store2d");
        copyBox(smem, smemAt, map, x, y, 0, true, "store2d");
    }

    /** Closes this work-item's stores issued since the last commit into a group (cp.async.bulk.commit_group). */
    public static void commit(KernelContext ctx) {}

    /**
     * Waits until at most {@code pending} (a compile-time constant) of this work-item's store
     * groups are unfinished, their writes done (cp.async.bulk.wait_group).
     */
    public static void waitPending(KernelContext ctx, int pending) {}

    private static void requireRank(TensorMap map, int rank, String what) {
        if (map.rank() != rank) {
            throw new IllegalArgumentException("BulkCopy." + what + " takes a rank-" + rank + " tensor map, got rank " + map.rank()
                    + ": use load" + map.rank() + "d, or build the map with tiled" + rank + "d");
        }
    }

    /** Moves the box between the tensor and shared memory (toTensor: a store); the layouts as the class says. */
    private static void copyBox(int[] smem, int smemAt, TensorMap map, int x, int y, int z, boolean toTensor, String what) {
        if (x % 8 != 0) {
            throw new IllegalArgumentException("BulkCopy." + what + ": the box's first column " + x + " is not a multiple of 8 bf16"
                    + " (16 bytes), as the tensor memory accelerator requires: start boxes on 16-byte column boundaries");
        }
        boolean swizzled = map.swizzle() == TensorMap.Swizzle.B128;
        if (swizzled && smemAt % WarpGroup.ATOM_INTS != 0) {
            throw new IllegalArgumentException("BulkCopy." + what + ": a 128-byte-swizzled box must start at a multiple of "
                    + WarpGroup.ATOM_INTS + " ints (1024 bytes), not " + smemAt);
        }
        int rowInts = map.boxWidth() / 2, rows = map.boxHeight() * map.boxDepth();
        if (smemAt < 0 || smemAt + rows * rowInts > smem.length) {
            throw new IllegalArgumentException("BulkCopy." + what + ": the box of " + rows * rowInts + " ints at " + smemAt
                    + " does not fit the shared array of " + smem.length + ": allocate a larger one");
        }
        BF16Array tensor = map.source();
        for (int p = 0; p < map.boxDepth(); p++) {
            for (int r = 0; r < map.boxHeight(); r++) {
                int boxRow = p * map.boxHeight() + r;
                for (int c = 0; c < map.boxWidth(); c += 2) {
                    int at = swizzled ? WarpGroup.swizzled(smemAt, boxRow, c >> 3) + ((c & 7) >> 1) : smemAt + boxRow * rowInts + (c >> 1);
                    if (toTensor) {
                        store(tensor, map, z + p, y + r, x + c, smem[at] & 0xffff);
                        store(tensor, map, z + p, y + r, x + c + 1, smem[at] >>> 16);
                    } else {
                        smem[at] = (element(tensor, map, z + p, y + r, x + c + 1) << 16) | element(tensor, map, z + p, y + r, x + c);
                    }
                }
            }
        }
    }

    private static boolean inside(TensorMap map, int plane, int row, int col) {
        return plane >= 0 && plane < map.depth() && row >= 0 && row < map.height() && col >= 0 && col < map.width();
    }

    private static long index(TensorMap map, int plane, int row, int col) {
        return (long) plane * map.planeStride() + (long) row * map.rowStride() + col;
    }

    private static int element(BF16Array src, TensorMap map, int plane, int row, int col) {
        return inside(map, plane, row, col) ? src.get(index(map, plane, row, col)) & 0xffff : 0;
    }

    private static void store(BF16Array dst, TensorMap map, int plane, int row, int col, int bits) {
        if (inside(map, plane, row, col)) dst.set(index(map, plane, row, col), (short) bits);
    }
}
