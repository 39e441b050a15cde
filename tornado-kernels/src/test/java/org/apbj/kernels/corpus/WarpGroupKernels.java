package org.apbj.kernels.corpus;

import org.apbj.kernels.api.AsyncCopy;
import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.Unroll;
import org.apbj.kernels.api.WarpGroup;

/**
 * Corpus (OpenCL only: wgmma needs sm_90a, so these are not in {@link Corpus#all}): the Hopper
 * GEMM's pattern at its smallest. Each group of two warpgroups computes a 256×{@link #N} tile
 * of D = A·Bᵀ: every warpgroup owns 128 rows as two 64-row products, whose accumulators share
 * one private array (offsets 0 and N/2), so every k-slice inlines {@link WarpGroup#mmaBf16}'s
 * Java body twice on the same array; the accumulators are carried across k-tiles and barriers.
 * Group g reads B rows g·N …, zero-filled from row {@code bRows} on (a partial last column
 * block, as where the 256-row GEMM tile once went wrong on PoCL).
 */
public final class WarpGroupKernels {
    private WarpGroupKernels() {}

    public static final int GROUP = 2 * WarpGroup.SIZE;
    public static final int ROWS = 256;
    /** Columns per group: above 64, so that the second 64-column block of B matters. */
    public static final int N = 128;
    static final int CHUNKS = 8;

    /** d[ROWS, groups·N] = a[ROWS, depth] · b[groups·N, depth]ᵀ (b rows from bRows on read as zero); depth a multiple of 8. */
    public static void twoProducts(KernelContext ctx, F32Array d, BF16Array a, BF16Array b, int depth, int bRows) {
        int[] aTile = ctx.allocateIntLocalArray(ROWS * WarpGroup.ROW_INTS);
        int[] bTile = ctx.allocateIntLocalArray(N * WarpGroup.ROW_INTS);
        float[] acc = new float[N];
        int tid = ctx.localIdx;
        int warpGroup = tid >> 7;
        int column0 = ctx.groupIdx * N;
        for (int k0 = 0; k0 < depth; k0 += WarpGroup.ROW_ELEMENTS) {
            ctx.localBarrier();   // the previous slice's products are done with the tiles
            load(ctx, aTile, bTile, a, b, depth, bRows, column0, k0, tid);
            AsyncCopy.commit(ctx);
            AsyncCopy.waitPending(ctx, 0);
            WarpGroup.fenceAsyncProxy(ctx);
            ctx.localBarrier();
            products(ctx, acc, aTile, warpGroup * 2 * WarpGroup.M * WarpGroup.ROW_INTS, bTile);
        }
        int item = tid & (WarpGroup.SIZE - 1);
        int row = warpGroup * 2 * WarpGroup.M + 16 * (item >> 5) + ((item & 31) >> 2);
        store(d, acc, row, column0 + 2 * (item & 3), ctx.globalGroupSizeX / GROUP * N);
    }

    @Unroll
    private static void load(KernelContext ctx, int[] aTile, int[] bTile, BF16Array a, BF16Array b, int depth, int bRows,
                             int column0, int k0, int tid) {
        int chunk = tid & (CHUNKS - 1);
        int col = k0 + 8 * chunk;
        boolean inK = col < depth;
        for (int i = 0; i < ROWS * CHUNKS / GROUP; i++) {
            int row = (tid >> 3) + i * (GROUP / CHUNKS);
            AsyncCopy.copy16(ctx, aTile, WarpGroup.swizzled(0, row, chunk), a, inK ? row * depth + col : 0, inK);
        }
        for (int i = 0; i < N * CHUNKS / GROUP; i++) {
            int row = (tid >> 3) + i * (GROUP / CHUNKS);
            boolean in = inK && column0 + row < bRows;
            AsyncCopy.copy16(ctx, bTile, WarpGroup.swizzled(0, row, chunk), b, in ? (column0 + row) * depth + col : 0, in);
        }
    }

    /** Both 64-row products of each k16 slice, accumulators at 0 and N/2 of one array. */
    @Unroll
    private static void products(KernelContext ctx, float[] acc, int[] aTile, int aAt, int[] bTile) {
        for (int s = 0; s < WarpGroup.ROW_ELEMENTS / WarpGroup.K; s++) {
            for (int m = 0; m < 2; m++) {
                WarpGroup.mmaBf16(ctx, acc, m * N / 2, N, aTile, aAt + m * WarpGroup.M * WarpGroup.ROW_INTS + 8 * s, bTile, 8 * s,
                        true);
            }
        }
    }

    /** Accumulator m·N/2 + 4j + e is D[row + 64m + 8·(e / 2)][col + 8j + e % 2]. */
    @Unroll
    private static void store(F32Array d, float[] acc, int row, int col, int width) {
        for (int m = 0; m < 2; m++) {
            for (int j = 0; j < N / 8; j++) {
                for (int e = 0; e < 4; e++) {
                    d.set((row + WarpGroup.M * m + 8 * (e >> 1)) * width + col + 8 * j + (e & 1), acc[m * N / 2 + 4 * j + e]);
                }
            }
        }
    }
}
