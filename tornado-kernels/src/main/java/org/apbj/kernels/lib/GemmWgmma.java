package org.apbj.kernels.lib;

import org.apbj.kernels.api.AsyncCopy;
import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.Constant;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.LaunchBounds;
import org.apbj.kernels.api.Unroll;
import org.apbj.kernels.api.WarpGroup;

/**
 * The projection on Hopper tensor cores: {@code y[rows, n] = x[rows, k] · Wᵀ (+ bias) (+ y)}
 * with x and W bf16 in device memory, fp32 accumulation ({@link WarpGroup#mmaBf16}, wgmma
 * m64n256k16), fp32 or bf16 output.
 *
 * <p>A group of two warpgroups computes a {@link #BM}×{@link #BN} tile of y; warpgroup g owns
 * rows 64g … 64g + 63 and holds their 64×256 accumulators in registers (128 floats per
 * work-item). Slices of depth {@link #BK} of x and W flow through {@link #STAGES} shared-memory
 * stages, stored with the 128-byte swizzle the tensor cores read; cp.async fills stage
 * s + STAGES − 1 while the tensor cores multiply stage s. Depths past k and rows past rows or
 * n arrive as zeros (cp.async's zero-fill) and their outputs are not stored. k must be a
 * multiple of 8 (16-byte rows of chunks); {@link KernelOps} picks another GEMM otherwise.
 * Grid: {@code Grid.of(ceil(n/BN)·THREADS, ceil(rows/BM), THREADS, 1)}.
 */
public final class GemmWgmma {
    private GemmWgmma() {}

    public static final int BM = 128;
    public static final int BN = 256;
    public static final int BK = WarpGroup.ROW_ELEMENTS;
    public static final int STAGES = 4;
    public static final int THREADS = 2 * WarpGroup.SIZE;
    /** Ints of one stage's x and W slices (rows of 32 packed pairs). */
    static final int A_STAGE = BM * WarpGroup.ROW_INTS;
    static final int B_STAGE = BN * WarpGroup.ROW_INTS;
    /** 16-byte chunks per slice row. */
    private static final int CHUNKS = BK / 8;

    /** fp32 output, optional bias, optional accumulate into y (the residual stream). */
    @LaunchBounds(threads = THREADS, minGroupsPerMultiprocessor = 1)
    public static void matmul(KernelContext ctx, F32Array y, int yRow0, BF16Array x, int xRow0, BF16Array w,
                              BF16Array bias, int rows, int n, int k, @Constant boolean hasBias,
                              @Constant boolean accumulate) {
        float[] acc = new float[BN / 2];
        multiply(ctx, acc, x, xRow0, w, rows, n, k);
        int item = ctx.localIdx & (WarpGroup.SIZE - 1);
        int row = ctx.groupIdy * BM + (ctx.localIdx >> 7) * WarpGroup.M + 16 * (item >> 5) + ((item & 31) >> 2);
        int col = ctx.groupIdx * BN + 2 * (item & 3);
        storeF32(y, bias, hasBias, accumulate, yRow0, rows, n, row, col, acc);
    }

    /** bf16 output, optional bias. */
    @LaunchBounds(threads = THREADS, minGroupsPerMultiprocessor = 1)
    public static void matmulBf16Out(KernelContext ctx, BF16Array y, int yRow0, BF16Array x, int xRow0, BF16Array w,
                                     BF16Array bias, int rows, int n, int k, @Constant boolean hasBias) {
        float[] acc = new float[BN / 2];
        multiply(ctx, acc, x, xRow0, w, rows, n, k);
        int item = ctx.localIdx & (WarpGroup.SIZE - 1);
        int row = ctx.groupIdy * BM + (ctx.localIdx >> 7) * WarpGroup.M + 16 * (item >> 5) + ((item & 31) >> 2);
        int col = ctx.groupIdx * BN + 2 * (item & 3);
        storeBf16(y, bias, hasBias, yRow0, rows, n, row, col, acc);
    }

    /** This work-item's accumulators of x[rows of the tile] · W[columns of the tile]ᵀ (layout: {@link WarpGroup}). */
    static void multiply(KernelContext ctx, float[] acc, BF16Array x, int xRow0, BF16Array w, int rows, int n, int k) {
        int tid = ctx.localIdx;
        int group = tid >> 7;
        int rowBase = ctx.groupIdy * BM;
        int colBase = ctx.groupIdx * BN;
        int[] aTiles = ctx.allocateIntLocalArray(STAGES * A_STAGE);
        int[] bTiles = ctx.allocateIntLocalArray(STAGES * B_STAGE);
        int kTiles = (k + BK - 1) / BK;

        for (int s = 0; s < STAGES - 1; s++) {
            if (s < kTiles) loadStage(ctx, aTiles, bTiles, s, x, xRow0, w, rows, n, k, rowBase, colBase, s * BK, tid);
            AsyncCopy.commit(ctx);
        }
        for (int t = 0; t < kTiles; t++) {
            // Slice t has landed (at most STAGES - 2 younger groups in flight); the fence hands
            // it from the copies to the tensor cores, the barrier from every work-item to all.
            AsyncCopy.waitPending(ctx, STAGES - 2);
            WarpGroup.fenceAsyncProxy(ctx);
            ctx.localBarrier();
            // The stage slice t + STAGES - 1 goes to was read by slice t - 1's products, which
            // both warpgroups finished before the barrier.
            int next = t + STAGES - 1;
            if (next < kTiles) {
                loadStage(ctx, aTiles, bTiles, next % STAGES, x, xRow0, w, rows, n, k, rowBase, colBase, next * BK, tid);
            }
            AsyncCopy.commit(ctx);
            int stage = t % STAGES;
            WarpGroup.fence(ctx);
            multiplyStage(ctx, acc, aTiles, stage * A_STAGE + group * WarpGroup.M * WarpGroup.ROW_INTS, bTiles,
                    stage * B_STAGE);
            WarpGroup.commit(ctx);
            WarpGroup.waitPending(ctx, 0);
        }
        AsyncCopy.waitPending(ctx, 0);
    }

    /**
     * Starts the copies of slice depth k0 of x (rows rowBase…) and W (rows colBase…) into a
     * stage: work-item tid moves chunks tid, tid + THREADS, … (row = chunk / 8), so that eight
     * neighbouring work-items read one 128-byte row segment.
     */
    @Unroll
    private static void loadStage(KernelContext ctx, int[] aTiles, int[] bTiles, int stage, BF16Array x, int xRow0,
                                  BF16Array w, int rows, int n, int k, int rowBase, int colBase, int k0, int tid) {
        int chunk = tid & (CHUNKS - 1);
        int col = k0 + 8 * chunk;
        boolean inK = col < k;
        for (int i = 0; i < BM * CHUNKS / THREADS; i++) {
            int row = (tid >> 3) + i * (THREADS / CHUNKS);
            boolean in = inK && rowBase + row < rows;
            AsyncCopy.copy16(ctx, aTiles, WarpGroup.swizzled(stage * A_STAGE, row, chunk), x,
                    in ? (xRow0 + rowBase + row) * k + col : 0, in);
        }
        for (int i = 0; i < BN * CHUNKS / THREADS; i++) {
            int row = (tid >> 3) + i * (THREADS / CHUNKS);
            boolean in = inK && colBase + row < n;
            AsyncCopy.copy16(ctx, bTiles, WarpGroup.swizzled(stage * B_STAGE, row, chunk), w,
                    in ? (colBase + row) * k + col : 0, in);
        }
    }

    /** The four k16 products of a stage for this warpgroup's 64 rows against all BN columns. */
    @Unroll
    private static void multiplyStage(KernelContext ctx, float[] acc, int[] aTiles, int aAt, int[] bTiles, int bAt) {
        for (int s = 0; s < BK / WarpGroup.K; s++) {
            WarpGroup.mmaBf16(ctx, acc, 0, BN, aTiles, aAt + 8 * s, bTiles, bAt + 8 * s, true);
        }
    }

    /** Accumulator 4j + e goes to row row + 8·(e / 2), column col + 8j + e % 2 (+ bias) (+ y). */
    @Unroll
    private static void storeF32(F32Array y, BF16Array bias, boolean hasBias, boolean accumulate, int yRow0, int rows,
                                 int n, int row, int col, float[] acc) {
        for (int j = 0; j < BN / 8; j++) {
            for (int e = 0; e < 4; e++) {
                int r = row + 8 * (e >> 1), c = col + 8 * j + (e & 1);
                if (r < rows && c < n) {
                    float v = acc[4 * j + e] + (hasBias ? bias.getFloat(c) : 0.0f);
                    int at = (yRow0 + r) * n + c;
                    y.set(at, accumulate ? v + y.get(at) : v);
                }
            }
        }
    }

    /** As {@link #storeF32}, rounded to bf16, without accumulation. */
    @Unroll
    private static void storeBf16(BF16Array y, BF16Array bias, boolean hasBias, int yRow0, int rows, int n, int row,
                                  int col, float[] acc) {
        for (int j = 0; j < BN / 8; j++) {
            for (int e = 0; e < 4; e++) {
                int r = row + 8 * (e >> 1), c = col + 8 * j + (e & 1);
                if (r < rows && c < n) y.setFloat((yRow0 + r) * n + c, acc[4 * j + e] + (hasBias ? bias.getFloat(c) : 0.0f));
            }
        }
    }
}
