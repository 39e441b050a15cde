package org.apbj.kernels.lib;

import org.apbj.kernels.api.AsyncCopy;
import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.Constant;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.KernelMath;
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
 * s + STAGES − 2 while the tensor cores multiply stage s (and slice s − 1's products finish). Depths past k and rows past rows or
 * n arrive as zeros (cp.async's zero-fill) and their outputs are not stored. k must be a
 * multiple of 8 (16-byte rows of chunks); {@link KernelOps} picks another GEMM otherwise.
 * Grid: {@code Grid.of(ceil(n/BN)·THREADS, ceil(rows/BM), THREADS, 1)}.
 */
public final class GemmWgmma {
    private GemmWgmma() {}

    public static final int BM = 256;
    public static final int BN = 192;
    public static final int BK = WarpGroup.ROW_ELEMENTS;
    public static final int STAGES = 4;
    public static final int THREADS = 2 * WarpGroup.SIZE;
    /** Ints of one stage's x and W slices (rows of 32 packed pairs). */
    static final int A_STAGE = BM * WarpGroup.ROW_INTS;
    /** Rows of the tile per consumer warpgroup, as M_TILES products of 64 rows. */
    static final int WG_ROWS = BM / 2;
    static final int M_TILES = WG_ROWS / WarpGroup.M;
    /** Accumulators per work-item: M_TILES × (BN / 2). */
    static final int ACC = M_TILES * BN / 2;
    static final int B_STAGE = BN * WarpGroup.ROW_INTS;
    /** 16-byte chunks per slice row. */
    private static final int CHUNKS = BK / 8;

    /** fp32 output, optional bias, optional accumulate into y (the residual stream). */
    @LaunchBounds(threads = THREADS, minGroupsPerMultiprocessor = 1)
    public static void matmul(KernelContext ctx, F32Array y, int yRow0, BF16Array x, int xRow0, BF16Array w,
                              BF16Array bias, int rows, int n, int k, @Constant boolean hasBias,
                              @Constant boolean accumulate) {
        float[] acc = new float[ACC];
        int rowBase = tileRow(ctx, rows, n, BN) * BM, colBase = tileColumn(ctx, rows, n, BN) * BN;
        multiply(ctx, acc, x, xRow0, w, w, false, rows, n, k, rowBase, colBase);
        int item = ctx.localIdx & (WarpGroup.SIZE - 1);
        int row = rowBase + (ctx.localIdx >> 7) * WG_ROWS + 16 * (item >> 5) + ((item & 31) >> 2);
        int col = colBase + 2 * (item & 3);
        storeF32(y, bias, hasBias, accumulate, yRow0, rows, n, row, col, acc);
    }

    /** bf16 output, optional bias. */
    @LaunchBounds(threads = THREADS, minGroupsPerMultiprocessor = 1)
    public static void matmulBf16Out(KernelContext ctx, BF16Array y, int yRow0, BF16Array x, int xRow0, BF16Array w,
                                     BF16Array bias, int rows, int n, int k, @Constant boolean hasBias) {
        float[] acc = new float[ACC];
        int rowBase = tileRow(ctx, rows, n, BN) * BM, colBase = tileColumn(ctx, rows, n, BN) * BN;
        multiply(ctx, acc, x, xRow0, w, w, false, rows, n, k, rowBase, colBase);
        int item = ctx.localIdx & (WarpGroup.SIZE - 1);
        int row = rowBase + (ctx.localIdx >> 7) * WG_ROWS + 16 * (item >> 5) + ((item & 31) >> 2);
        int col = colBase + 2 * (item & 3);
        storeBf16(y, bias, hasBias, yRow0, rows, n, row, col, acc);
    }

    /**
     * The gate/up projection with SwiGLU fused: {@code h[rows, inter] = silu(x·Wgᵀ) · (x·Wuᵀ)} in
     * bf16, so the intermediate activations never reach memory in fp32. Each group's 256 W rows
     * are 128 of W_gate and the same 128 of W_up; its accumulators hold both products of 128
     * columns. Grid: {@code Grid.of(ceil(inter/(BN/2))·THREADS, ceil(rows/BM), THREADS, 1)}.
     */
    @LaunchBounds(threads = THREADS, minGroupsPerMultiprocessor = 1)
    public static void matmulSwiGlu(KernelContext ctx, BF16Array h, BF16Array x, BF16Array wGate, BF16Array wUp, int rows,
                                    int inter, int k) {
        float[] acc = new float[ACC];
        int rowBase = tileRow(ctx, rows, inter, BN / 2) * BM, colBase = tileColumn(ctx, rows, inter, BN / 2) * (BN / 2);
        multiply(ctx, acc, x, 0, wGate, wUp, true, rows, inter, k, rowBase, colBase);
        int item = ctx.localIdx & (WarpGroup.SIZE - 1);
        int row = rowBase + (ctx.localIdx >> 7) * WG_ROWS + 16 * (item >> 5) + ((item & 31) >> 2);
        storeSwiGlu(h, rows, inter, row, colBase + 2 * (item & 3), acc);
    }

    /**
     * This work-item's accumulators of x[rows of the tile] · W[columns of the tile]ᵀ (layout:
     * {@link WarpGroup}). Slice t's products are issued, then the work-item waits only for slice
     * t − 1's, so the tensor cores always have one group queued; the copies of slice t + STAGES − 2
     * go into the stage slice t − 2 left, which every warpgroup had finished by the barrier.
     */
    static void multiply(KernelContext ctx, float[] acc, BF16Array x, int xRow0, BF16Array w, BF16Array w2, boolean dual,
                         int rows, int n, int k, int rowBase, int colBase) {
        int tid = ctx.localIdx;
        int group = tid >> 7;
        int[] aTiles = ctx.allocateIntLocalArray(STAGES * A_STAGE);
        int[] bTiles = ctx.allocateIntLocalArray(STAGES * B_STAGE);
        int kTiles = (k + BK - 1) / BK;

        for (int s = 0; s < STAGES - 2; s++) {
            if (s < kTiles) loadStage(ctx, aTiles, bTiles, s, x, xRow0, w, w2, dual, rows, n, k, rowBase, colBase, s * BK, tid,
                    THREADS);
            AsyncCopy.commit(ctx);
        }
        for (int t = 0; t < kTiles; t++) {
            // Slice t has landed (at most STAGES - 3 younger groups in flight); the fence hands
            // it from the copies to the tensor cores, the barrier from every work-item to all.
            AsyncCopy.waitPending(ctx, STAGES - 3);
            WarpGroup.fenceAsyncProxy(ctx);
            ctx.localBarrier();
            int next = t + STAGES - 2;
            if (next < kTiles) {
                loadStage(ctx, aTiles, bTiles, next % STAGES, x, xRow0, w, w2, dual, rows, n, k, rowBase, colBase, next * BK,
                        tid, THREADS);
            }
            AsyncCopy.commit(ctx);
            int stage = t % STAGES;
            WarpGroup.fence(ctx);
            multiplyStage(ctx, acc, aTiles, stage * A_STAGE + group * WG_ROWS * WarpGroup.ROW_INTS, bTiles,
                    stage * B_STAGE);
            WarpGroup.commit(ctx);
            WarpGroup.waitPending(ctx, 1);
        }
        WarpGroup.waitPending(ctx, 0);
        AsyncCopy.waitPending(ctx, 0);
    }

    /**
     * The tile (row block, column block) of launch group g = groupIdx + groupIdy·(column blocks):
     * consecutive groups walk down {@link #RASTER} row blocks before the next column block, so the
     * groups that run together share W tiles and x tiles in L2.
     */
    static int tileRow(KernelContext ctx, int rows, int n, int width) {
        int columnBlocks = (n + width - 1) / width, rowBlocks = (rows + BM - 1) / BM;
        int g = ctx.groupIdx + ctx.groupIdy * columnBlocks;
        int band = g / (RASTER * columnBlocks);
        int bandRows = Math.min(rowBlocks - band * RASTER, RASTER);
        return band * RASTER + (g % (RASTER * columnBlocks)) % bandRows;
    }

    /** The column block of this launch group (see {@link #tileRow}). */
    static int tileColumn(KernelContext ctx, int rows, int n, int width) {
        int columnBlocks = (n + width - 1) / width, rowBlocks = (rows + BM - 1) / BM;
        int g = ctx.groupIdx + ctx.groupIdy * columnBlocks;
        int band = g / (RASTER * columnBlocks);
        int bandRows = Math.min(rowBlocks - band * RASTER, RASTER);
        return (g % (RASTER * columnBlocks)) / bandRows;
    }

    /** Row blocks per raster band. */
    static final int RASTER = 8;

    /**
     * Starts the copies of slice depth k0 of x (rows rowBase…) and W (rows colBase…) into a
     * stage: loader tid of {@code loaders} (a constant) moves chunks tid, tid + loaders, …
     * (row = chunk / 8), so that eight neighbouring work-items read one 128-byte row segment.
     */
    @Unroll
    static void loadStage(KernelContext ctx, int[] aTiles, int[] bTiles, int stage, BF16Array x, int xRow0,
                          BF16Array w, BF16Array w2, boolean dual, int rows, int n, int k, int rowBase,
                          int colBase, int k0, int tid, int loaders) {
        int chunk = tid & (CHUNKS - 1);
        int col = k0 + 8 * chunk;
        boolean inK = col < k;
        for (int i = 0; i < BM * CHUNKS / loaders; i++) {
            int row = (tid >> 3) + i * (loaders / CHUNKS);
            boolean in = inK && rowBase + row < rows;
            AsyncCopy.copy16(ctx, aTiles, WarpGroup.swizzled(stage * A_STAGE, row, chunk), x,
                    in ? (xRow0 + rowBase + row) * k + col : 0, in);
        }
        for (int i = 0; i < BN * CHUNKS / loaders; i++) {
            int row = (tid >> 3) + i * (loaders / CHUNKS);
            // dual: rows BN/2… of the tile are the same W rows of the second matrix
            int wRow = colBase + (dual && row >= BN / 2 ? row - BN / 2 : row);
            boolean in = inK && wRow < n;
            int at = WarpGroup.swizzled(stage * B_STAGE, row, chunk);
            if (dual && row >= BN / 2) AsyncCopy.copy16(ctx, bTiles, at, w2, in ? wRow * k + col : 0, in);
            else AsyncCopy.copy16(ctx, bTiles, at, w, in ? wRow * k + col : 0, in);
        }
    }

    /** The k16 products of a stage for this warpgroup's WG_ROWS rows (M_TILES × 64) against all BN columns. */
    @Unroll
    static void multiplyStage(KernelContext ctx, float[] acc, int[] aTiles, int aAt, int[] bTiles, int bAt) {
        for (int s = 0; s < BK / WarpGroup.K; s++) {
            for (int m = 0; m < M_TILES; m++) {
                WarpGroup.mmaBf16(ctx, acc, m * BN / 2, BN, aTiles, aAt + m * WarpGroup.M * WarpGroup.ROW_INTS + 8 * s, bTiles,
                        bAt + 8 * s, true);
            }
        }
    }

    /** Accumulator 4j + e goes to row row + 8·(e / 2), column col + 8j + e % 2 (+ bias) (+ y). */
    @Unroll
    static void storeF32(F32Array y, BF16Array bias, boolean hasBias, boolean accumulate, int yRow0, int rows,
                                 int n, int row, int col, float[] acc) {
        for (int m = 0; m < M_TILES; m++) {
          for (int j = 0; j < BN / 8; j++) {
            for (int e = 0; e < 4; e++) {
                int r = row + WarpGroup.M * m + 8 * (e >> 1), c = col + 8 * j + (e & 1);
                if (r < rows && c < n) {
                    float v = acc[m * BN / 2 + 4 * j + e] + (hasBias ? bias.getFloat(c) : 0.0f);
                    int at = (yRow0 + r) * n + c;
                    y.set(at, accumulate ? v + y.get(at) : v);
                }
            }
          }
        }
    }

    /** As {@link #storeF32}, rounded to bf16, without accumulation. */
    @Unroll
    static void storeBf16(BF16Array y, BF16Array bias, boolean hasBias, int yRow0, int rows, int n, int row,
                                  int col, float[] acc) {
        for (int m = 0; m < M_TILES; m++) {
            for (int j = 0; j < BN / 8; j++) {
                for (int e = 0; e < 4; e++) {
                    int r = row + WarpGroup.M * m + 8 * (e >> 1), c = col + 8 * j + (e & 1);
                    if (r < rows && c < n) {
                        y.setFloat((yRow0 + r) * n + c, acc[m * BN / 2 + 4 * j + e] + (hasBias ? bias.getFloat(c) : 0.0f));
                    }
                }
            }
        }
    }

    /** Gate accumulators j < BN/16 and up accumulators j + BN/16 of the same columns: h = silu(gate) · up in bf16. */
    @Unroll
    static void storeSwiGlu(BF16Array h, int rows, int inter, int row, int col, float[] acc) {
        for (int m = 0; m < M_TILES; m++) {
            for (int j = 0; j < BN / 16; j++) {
                for (int e = 0; e < 4; e++) {
                    int r = row + WarpGroup.M * m + 8 * (e >> 1), c = col + 8 * j + (e & 1);
                    if (r < rows && c < inter) {
                        int at = m * BN / 2 + 4 * j + e;
                        h.setFloat(r * inter + c, KernelMath.silu(acc[at]) * acc[at + BN / 4]);
                    }
                }
            }
        }
    }
}
