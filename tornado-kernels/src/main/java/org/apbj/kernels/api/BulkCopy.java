package org.apbj.kernels.api;

/**
 * Bulk tensor copies (TMA, sm_90) from a {@link TensorMap} into shared memory, completing on an
 * {@link Mbarrier}: one work-item issues the copy of a whole box, and the consumers wait on the
 * barrier, whose phase expects the box's bytes ({@link Mbarrier#arriveExpectTx} with
 * {@link TensorMap#boxBytes}).
 *
 * <p>The Java body is the meaning: it copies the box at once, writing zeros for elements outside
 * the tensor, in the map's shared layout, then delivers the bytes to the barrier (complete_tx).
 * On PTX (sm_90 and later) it is one
 * {@code cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes}; the
 * map must be a kernel parameter, which the CUDA device encodes with cuTensorMapEncodeTiled and
 * passes by value. OpenCL kernels cannot take tensor maps.
 */
@IntrinsicClass
public final class BulkCopy {
    private BulkCopy() {}

    /**
     * Copies the box whose first element is column {@code x} (a multiple of 8: 16 bytes), row
     * {@code y} of {@code map} into
     * {@code smem} from int index {@code smemAt} (bf16 pairs, the even column in the low half;
     * with the 128-byte swizzle {@code smemAt} is a multiple of {@link WarpGroup#ATOM_INTS}), then
     * completes {@link TensorMap#boxBytes} transaction bytes on {@code bars[barAt]}.
     */
    public static void load2d(KernelContext ctx, int[] smem, int smemAt, TensorMap map, int x, int y, long[] bars, int barAt) {
        if (x % 8 != 0) {
            throw new IllegalArgumentException("BulkCopy.load2d: the box's first column " + x + " is not a multiple of 8 bf16"
                    + " (16 bytes), as the tensor memory accelerator requires: start boxes on 16-byte column boundaries");
        }
        boolean swizzled = map.swizzle() == TensorMap.Swizzle.B128;
        if (swizzled && smemAt % WarpGroup.ATOM_INTS != 0) {
            throw new IllegalArgumentException("BulkCopy.load2d: a 128-byte-swizzled box must start at a multiple of "
                    + WarpGroup.ATOM_INTS + " ints (1024 bytes), not " + smemAt);
        }
        int rowInts = map.boxWidth() / 2;
        if (smemAt < 0 || smemAt + map.boxHeight() * rowInts > smem.length) {
            throw new IllegalArgumentException("BulkCopy.load2d: the box of " + map.boxHeight() * rowInts + " ints at " + smemAt
                    + " does not fit the shared array of " + smem.length + ": allocate a larger one");
        }
        BF16Array src = map.source();
        for (int r = 0; r < map.boxHeight(); r++) {
            int row = y + r;
            for (int c = 0; c < map.boxWidth(); c += 2) {
                int lo = element(src, map, row, x + c), hi = element(src, map, row, x + c + 1);
                int at = swizzled ? WarpGroup.swizzled(smemAt, r, c >> 3) + ((c & 7) >> 1) : smemAt + r * rowInts + (c >> 1);
                smem[at] = (hi << 16) | lo;
            }
        }
        Mbarrier.completeTx(bars, barAt, map.boxBytes());
    }

    private static int element(BF16Array src, TensorMap map, int row, int col) {
        if (row < 0 || row >= map.height() || col < 0 || col >= map.width()) return 0;
        return src.get((long) row * map.rowStride() + col) & 0xffff;
    }
}
