package org.apbj.kernels.lib;

import org.apbj.kernels.api.AsyncCopy;
import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.Constant;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.I64Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.KernelMath;
import org.apbj.kernels.api.LaunchBounds;
import org.apbj.kernels.api.TensorCore;
import org.apbj.kernels.api.Unroll;
import org.apbj.kernels.api.WarpGroup;

/**
 * The projection on Hopper tensor cores: {@code y[rows, n] = x[rows, k] · Wᵀ (+ bias) (+ y)}
 * with x and W bf16 in device memory, fp32 accumulation ({@link WarpGroup#mmaBf16}, wgmma
 * m64n192k16), fp32 or bf16 output; and the gate/up projection with SwiGLU fused.
 *
 * <p>A group of two warpgroups computes a (128·mTiles)×{@link #BN} tile of y; each warpgroup
 * owns 64·mTiles rows as mTiles products of 64 rows and holds their accumulators in registers
 * (96·mTiles floats per work-item). mTiles is a launch constant: 2 (a 256×192 tile reads 28%
 * fewer bytes per product from L2 than 128×256, which measured faster on the H200); 1 for the
 * warp-specialised kernel, whose consumers hold fewer registers. Slices of depth {@link #BK} of x and W flow
 * through {@link #STAGES} shared-memory stages, stored with the 128-byte swizzle the tensor cores
 * read; cp.async fills stage s + STAGES − 2 while the tensor cores multiply stage s (and slice
 * s − 1's products finish). Depths past k and rows past rows or n arrive as zeros (cp.async's
 * zero-fill) and their outputs are not stored. k must be a multiple of 8 (16-byte chunks).
 * Grid: {@code Grid.of(ceil(n/BN)·THREADS, ceil(rows/(128·mTiles)), THREADS, 1)}.
 */
public final class GemmWgmma {
    private GemmWgmma() {}

    /** Rows of a tile per unit of mTiles (two warpgroups × 64). */
    public static final int ROWS_PER_M_TILE = 2 * WarpGroup.M;
    public static final int BN = 192;
    public static final int BK = WarpGroup.ROW_ELEMENTS;
    public static final int STAGES = 4;
    public static final int THREADS = 2 * WarpGroup.SIZE;
    /** The largest mTiles: the accumulators of a 256×192 tile fill the registers. */
    public static final int MAX_M_TILES = 2;
    static final int B_STAGE = BN * WarpGroup.ROW_INTS;
    /** 16-byte chunks per slice row. */
    private static final int CHUNKS = BK / 8;

    /** Ints of one stage's x slice. */
    static int aStage(int mTiles) { return ROWS_PER_M_TILE * mTiles * WarpGroup.ROW_INTS; }

    /**
     * fp32 output, optional bias, optional accumulate into y (the residual stream); y is seen as
     * pairs of floats (n even), so that each work-item stores its two neighbouring columns at once.
     */
    @LaunchBounds(threads = THREADS, minGroupsPerMultiprocessor = 1)
    public static void matmul(KernelContext ctx, I64Array y, int yRow0, BF16Array x, int xRow0, BF16Array w,
                              BF16Array bias, int rows, int n, int k, @Constant boolean hasBias,
                              @Constant boolean accumulate, @Constant int mTiles) {
        float[] acc = new float[mTiles * BN / 2];
        int rowBase = tileRow(ctx, rows, n, BN, mTiles) * ROWS_PER_M_TILE * mTiles;
        int colBase = tileColumn(ctx, rows, n, BN, mTiles) * BN;
        multiply(ctx, acc, x, xRow0, w, w, false, rows, n, k, rowBase, colBase, mTiles);
        int group = ctx.localIdx >> 7;
        storeF32(y, bias, hasBias, accumulate, yRow0, rows, n, firstRow(ctx, rowBase, group, mTiles), firstColumn(ctx, colBase),
                acc, mTiles, BN);
    }

    /** bf16 output (seen as pairs: n even), optional bias. */
    @LaunchBounds(threads = THREADS, minGroupsPerMultiprocessor = 1)
    public static void matmulBf16Out(KernelContext ctx, I32Array y, int yRow0, BF16Array x, int xRow0, BF16Array w,
                                     BF16Array bias, int rows, int n, int k, @Constant boolean hasBias,
                                     @Constant int mTiles) {
        float[] acc = new float[mTiles * BN / 2];
        int rowBase = tileRow(ctx, rows, n, BN, mTiles) * ROWS_PER_M_TILE * mTiles;
        int colBase = tileColumn(ctx, rows, n, BN, mTiles) * BN;
        multiply(ctx, acc, x, xRow0, w, w, false, rows, n, k, rowBase, colBase, mTiles);
        int group = ctx.localIdx >> 7;
        storeBf16(y, bias, hasBias, yRow0, rows, n, firstRow(ctx, rowBase, group, mTiles), firstColumn(ctx, colBase), acc,
                mTiles, BN);
    }

    /**
     * The gate/up projection with SwiGLU fused: {@code h[rows, inter] = silu(x·Wgᵀ) · (x·Wuᵀ)} in
     * bf16, so the intermediate activations never reach memory in fp32. A tile's BN W rows are
     * BN/2 of W_gate and the same BN/2 of W_up; its accumulators hold both products of BN/2
     * columns. Grid: as matmul's with BN/2 columns per group.
     */
    @LaunchBounds(threads = THREADS, minGroupsPerMultiprocessor = 1)
    public static void matmulSwiGlu(KernelContext ctx, I32Array h, BF16Array x, BF16Array wGate, BF16Array wUp, int rows,
                                    int inter, int k, @Constant int mTiles) {
        float[] acc = new float[mTiles * BN / 2];
        int rowBase = tileRow(ctx, rows, inter, BN / 2, mTiles) * ROWS_PER_M_TILE * mTiles;
        int colBase = tileColumn(ctx, rows, inter, BN / 2, mTiles) * (BN / 2);
        multiply(ctx, acc, x, 0, wGate, wUp, true, rows, inter, k, rowBase, colBase, mTiles);
        int group = ctx.localIdx >> 7;
        storeSwiGlu(h, rows, inter, firstRow(ctx, rowBase, group, mTiles), firstColumn(ctx, colBase), acc, mTiles, BN);
    }

    /** The first output row of this work-item's accumulators, consumer warpgroup {@code group} (0 or 1). */
    static int firstRow(KernelContext ctx, int rowBase, int group, int mTiles) {
        int item = ctx.localIdx & (WarpGroup.SIZE - 1);
        return rowBase + group * WarpGroup.M * mTiles + 16 * (item >> 5) + ((item & 31) >> 2);
    }

    /** The first output column of this work-item's accumulators. */
    static int firstColumn(KernelContext ctx, int colBase) { return colBase + 2 * (ctx.localIdx & 3); }

    /**
     * This work-item's accumulators of x[rows of the tile] · W[columns of the tile]ᵀ (layout:
     * {@link WarpGroup}, mTiles blocks of BN/2). Slice t's products are issued, then the
     * work-item waits only for slice t − 1's, so the tensor cores always have one group queued;
     * the copies of slice t + STAGES − 2 go into the stage slice t − 2 left, which every warpgroup
     * had finished by the barrier.
     */
    static void multiply(KernelContext ctx, float[] acc, BF16Array x, int xRow0, BF16Array w, BF16Array w2, boolean dual,
                         int rows, int n, int k, int rowBase, int colBase, int mTiles) {
        int tid = ctx.localIdx;
        int group = tid >> 7;
        int aStage = aStage(mTiles);
        int[] aTiles = ctx.allocateIntLocalArray(STAGES * ROWS_PER_M_TILE * mTiles * WarpGroup.ROW_INTS);
        int[] bTiles = ctx.allocateIntLocalArray(STAGES * B_STAGE);
        int kTiles = (k + BK - 1) / BK;

        for (int s = 0; s < STAGES - 2; s++) {
            if (s < kTiles) {
                loadStage(ctx, aTiles, bTiles, s, x, xRow0, w, w2, dual, rows, n, k, rowBase, colBase, s * BK, tid, THREADS,
                        mTiles);
            }
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
                        tid, THREADS, mTiles);
            }
            AsyncCopy.commit(ctx);
            int stage = t % STAGES;
            WarpGroup.fence(ctx);
            multiplyStage(ctx, acc, aTiles, stage * aStage + group * WarpGroup.M * mTiles * WarpGroup.ROW_INTS, bTiles,
                    stage * B_STAGE, mTiles, BN, false);
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
    static int tileRow(KernelContext ctx, int rows, int n, int width, int mTiles) {
        return rasterTile(ctx, rows, n, width, mTiles, false);
    }

    /** The column block of this launch group (see {@link #tileRow}). */
    static int tileColumn(KernelContext ctx, int rows, int n, int width, int mTiles) {
        return rasterTile(ctx, rows, n, width, mTiles, true);
    }

    private static int rasterTile(KernelContext ctx, int rows, int n, int width, int mTiles, boolean column) {
        int columnBlocks = (n + width - 1) / width;
        return rasterTile(ctx.groupIdx + ctx.groupIdy * columnBlocks, rows, n, width, ROWS_PER_M_TILE * mTiles, column);
    }

    /**
     * Row block (or, with {@code column}, column block) of tile g when tiles of tileRows × width
     * are taken in raster bands of {@link #RASTER} row blocks.
     */
    static int rasterTile(int g, int rows, int n, int width, int tileRows, boolean column) {
        int columnBlocks = (n + width - 1) / width, rowBlocks = (rows + tileRows - 1) / tileRows;
        int band = g / (RASTER * columnBlocks);
        int bandRows = Math.min(rowBlocks - band * RASTER, RASTER);
        int inBand = g % (RASTER * columnBlocks);
        return column ? inBand / bandRows : band * RASTER + inBand % bandRows;
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
                          int colBase, int k0, int tid, int loaders, int mTiles) {
        int chunk = tid & (CHUNKS - 1);
        int col = k0 + 8 * chunk;
        boolean inK = col < k;
        for (int i = 0; i < ROWS_PER_M_TILE * mTiles * CHUNKS / loaders; i++) {
            int row = (tid >> 3) + i * (loaders / CHUNKS);
            boolean in = inK && rowBase + row < rows;
            AsyncCopy.copy16(ctx, aTiles, WarpGroup.swizzled(stage * aStage(mTiles), row, chunk), x,
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

    /**
     * The k16 products of a stage for this warpgroup's mTiles × 64 rows against bn columns; with
     * {@code fresh} the first product overwrites the accumulators (the first slice of a tile).
     */
    @Unroll
    static void multiplyStage(KernelContext ctx, float[] acc, int[] aTiles, int aAt, int[] bTiles, int bAt, int mTiles,
                              int bn, boolean fresh) {
        for (int s = 0; s < BK / WarpGroup.K; s++) {
            for (int m = 0; m < mTiles; m++) {
                WarpGroup.mmaBf16(ctx, acc, m * bn / 2, bn, aTiles, aAt + m * WarpGroup.M * WarpGroup.ROW_INTS + 8 * s, bTiles,
                        bAt + 8 * s, s > 0 || !fresh);
            }
        }
    }

    /**
     * Accumulators m·bn/2 + 4j + 2h and + 1 go to row row + 64m + 8h, columns c = col + 8j and
     * c + 1 (+ bias) (+ y), as one 8-byte store: y is the fp32 output seen as pairs (n even).
     */
    @Unroll
    static void storeF32(I64Array yPairs, BF16Array bias, boolean hasBias, boolean accumulate, int yRow0, int rows,
                         int n, int row, int col, float[] acc, int mTiles,
                                    int bn) {
        for (int m = 0; m < mTiles; m++) {
            for (int j = 0; j < bn / 8; j++) {
                for (int h = 0; h < 2; h++) {
                    int r = row + WarpGroup.M * m + 8 * h, c = col + 8 * j;
                    if (r < rows && c < n) {
                        int at = m * bn / 2 + 4 * j + 2 * h;
                        float v0 = acc[at] + (hasBias ? bias.getFloat(c) : 0.0f);
                        float v1 = acc[at + 1] + (hasBias ? bias.getFloat(c + 1) : 0.0f);
                        int pair = ((yRow0 + r) * n + c) >> 1;
                        if (accumulate) {
                            long old = yPairs.get(pair);
                            v0 += Float.intBitsToFloat((int) old);
                            v1 += Float.intBitsToFloat((int) (old >>> 32));
                        }
                        yPairs.set(pair, (Float.floatToRawIntBits(v0) & 0xffffffffL) | ((long) Float.floatToRawIntBits(v1) << 32));
                    }
                }
            }
        }
    }

    /** As {@link #storeF32}, rounded to bf16 pairs (4-byte stores), without accumulation. */
    @Unroll
    static void storeBf16(I32Array yPairs, BF16Array bias, boolean hasBias, int yRow0, int rows, int n, int row,
                          int col, float[] acc, int mTiles,
                                    int bn) {
        for (int m = 0; m < mTiles; m++) {
            for (int j = 0; j < bn / 8; j++) {
                for (int h = 0; h < 2; h++) {
                    int r = row + WarpGroup.M * m + 8 * h, c = col + 8 * j;
                    if (r < rows && c < n) {
                        int at = m * bn / 2 + 4 * j + 2 * h;
                        yPairs.set(((yRow0 + r) * n + c) >> 1, TensorCore.packBf16(acc[at] + (hasBias ? bias.getFloat(c) : 0.0f),
                                acc[at + 1] + (hasBias ? bias.getFloat(c + 1) : 0.0f)));
                    }
                }
            }
        }
    }

    /**
     * Gate accumulators j < bn/16 and up accumulators j + bn/16 of the same columns: h = silu(gate) · up,
     * as bf16 pairs.
     */
    @Unroll
    static void storeSwiGlu(I32Array hPairs, int rows, int inter, int row, int col, float[] acc, int mTiles,
                                    int bn) {
        for (int m = 0; m < mTiles; m++) {
            for (int j = 0; j < bn / 16; j++) {
                for (int h = 0; h < 2; h++) {
                    int r = row + WarpGroup.M * m + 8 * h, c = col + 8 * j;
                    if (r < rows && c < inter) {
                        int at = m * bn / 2 + 4 * j + 2 * h;
                        hPairs.set((r * inter + c) >> 1, TensorCore.packBf16(KernelMath.silu(acc[at]) * acc[at + bn / 4],
                                KernelMath.silu(acc[at + 1]) * acc[at + 1 + bn / 4]));
                    }
                }
            }
        }
    }
}
