package org.apbj.kernels.lib;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.Constant;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.I64Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.LaunchBounds;
import org.apbj.kernels.api.Mbarrier;
import org.apbj.kernels.api.NamedBarrier;
import org.apbj.kernels.api.TensorMap;
import org.apbj.kernels.api.WarpGroup;

/**
 * {@link GemmTma}'s products and epilogues with the two consumer warpgroups in "ping-pong"
 * (CUTLASS's sm90 pingpong kernel): each consumer owns a whole {@value #BM}×{@code tileColumns}
 * tile and the two alternate, so that one stores its tile while the other's products run. In
 * {@link GemmTma} both consumers share a tile and store together while the tensor cores idle,
 * which costs most where a tile's main loop is short (k = 4096).
 *
 * <p>A group is three warpgroups. Warpgroup 0 is the producer: one work-item issues, for every
 * k-slice of every tile the group owns (in order), a bulk tensor copy of the {@value #BM}×64 box
 * of x and two (tileColumns/2)×64 boxes of W into one of {@link #stages} stages, completing on
 * the stage's "full" mbarrier, after the stage's "empty" mbarrier said its reader released it.
 * The group's tiles j = 0, 1, 2, … go to consumer j % 2 (warpgroup 1 + j % 2): tile j's slices
 * are slice numbers j·kTiles … in the producer's order, so each consumer skips the other's.
 * A consumer issues its 2·4 products per slice (two m64n{tileColumns}k16 row blocks per k16),
 * keeps one slice of products in flight, releases each stage once the products reading it are
 * done, then stores its accumulators from registers ({@link GemmWgmma#storeF32} and friends).
 *
 * <p>The consumers take turns issuing a tile's products on two named barriers: consumer c waits
 * for its turn before its tile's first product and hands the turn over once its last product is
 * issued, so the tensor cores run one tile's products at a time and the epilogue of tile j
 * overlaps the products of tile j + 1 (CUTLASS's math order barrier).
 *
 * <p>tileColumns (a launch constant) is 192 (accumulators 192 floats per work-item: a tile reads
 * 11% more bytes per product from L2 than GemmTma's 128×256) or 128 (fewer registers, 33% more
 * bytes per product). Maps: x as {@code TensorMap.tiled2d(x, k, xRow0 + rows, k, 64, BM, B128)},
 * W as {@code tiled2d(w, k, n, k, 64, tileColumns / 2, B128)}; rows past a map read as zeros,
 * outputs past rows or n are not stored. k must be a multiple of 8.
 * Grid: {@code Grid.of(groups·THREADS, 1, THREADS, 1)} for any number of groups.
 */
public final class GemmTmaPingPong {
    private GemmTmaPingPong() {}

    /** Rows of a tile: one consumer's two 64-row products. */
    public static final int BM = 2 * WarpGroup.M;
    public static final int BK = WarpGroup.ROW_ELEMENTS;
    /** The tile widths the kernels are compiled for (tileColumns). */
    public static final int NARROW = 128, WIDE = 192;
    /**
     * Stages per tile width: as many as fit the H200's 227 KiB of shared memory (a stage is
     * 16 KiB of x and tileColumns·128 bytes of W), so the producer runs about as far ahead in
     * time with the narrow tiles, whose slices are multiplied faster.
     */
    static int stages(int tileColumns) { return tileColumns == NARROW ? 7 : 5; }
    public static final int THREADS = 3 * WarpGroup.SIZE;
    static final int A_STAGE = BM * WarpGroup.ROW_INTS;
    /**
     * Registers per work-item after setmaxnreg: 192 accumulators need 240. The consumers grow by
     * what the producer gives up: SIZE·(LAUNCH − PRODUCER) ≥ 2·SIZE·(CONSUMER − LAUNCH).
     */
    static final int PRODUCER_REGISTERS = 24;
    static final int CONSUMER_REGISTERS = 240;
    static final int LAUNCH_REGISTERS = 65536 / THREADS / 8 * 8;
    /** Named barriers: consumer 0's turn to issue products, consumer 1's turn. */
    static final int TURN_0 = 1, TURN_1 = 2;

    /** fp32 output (pairs: n even), optional bias, optional accumulate into y (the residual stream). */
    @LaunchBounds(threads = THREADS, minGroupsPerMultiprocessor = 1)
    public static void matmul(KernelContext ctx, I64Array y, int yRow0, TensorMap xMap, int xRow0, TensorMap wMap,
                              BF16Array bias, int rows, int n, int k, @Constant boolean hasBias,
                              @Constant boolean accumulate, @Constant int tileColumns) {
        int[] aTiles = ctx.allocateIntLocalArray(stages(tileColumns) * A_STAGE);
        int[] bTiles = ctx.allocateIntLocalArray(stages(tileColumns) * tileColumns * WarpGroup.ROW_INTS);
        long[] full = ctx.allocateLongLocalArray(stages(tileColumns));
        long[] empty = ctx.allocateLongLocalArray(stages(tileColumns));
        int group = GemmTma.start(ctx, full, empty, stages(tileColumns), WarpGroup.SIZE);
        if (group == 0) {
            GemmTma.produce(ctx, aTiles, bTiles, full, empty, xMap, xRow0, wMap, wMap, false, rows, n, tileColumns,
                    tileColumns, stages(tileColumns), k, PRODUCER_REGISTERS);
            return;
        }
        WarpGroup.setMaxRegisters(ctx, CONSUMER_REGISTERS, true);
        float[] acc = new float[tileColumns];
        int c = group - 1, groups = ctx.globalGroupSizeX / THREADS;
        int owned = owned(ctx, tiles(rows, n, tileColumns));
        for (int j = c; j < owned; j += 2) {
            int tile = ctx.groupIdx + j * groups;
            multiply(ctx, acc, aTiles, bTiles, full, empty, c, j, owned, k, tileColumns);
            GemmWgmma.storeF32(y, bias, hasBias, accumulate, yRow0, rows, n, firstRow(ctx, tile, rows, n, tileColumns),
                    firstColumn(ctx, tile, rows, n, tileColumns), acc, 2, tileColumns);
        }
    }

    /** bf16 output (pairs: n even), optional bias. */
    @LaunchBounds(threads = THREADS, minGroupsPerMultiprocessor = 1)
    public static void matmulBf16Out(KernelContext ctx, I32Array y, int yRow0, TensorMap xMap, int xRow0, TensorMap wMap,
                                     BF16Array bias, int rows, int n, int k, @Constant boolean hasBias,
                                     @Constant int tileColumns) {
        int[] aTiles = ctx.allocateIntLocalArray(stages(tileColumns) * A_STAGE);
        int[] bTiles = ctx.allocateIntLocalArray(stages(tileColumns) * tileColumns * WarpGroup.ROW_INTS);
        long[] full = ctx.allocateLongLocalArray(stages(tileColumns));
        long[] empty = ctx.allocateLongLocalArray(stages(tileColumns));
        int group = GemmTma.start(ctx, full, empty, stages(tileColumns), WarpGroup.SIZE);
        if (group == 0) {
            GemmTma.produce(ctx, aTiles, bTiles, full, empty, xMap, xRow0, wMap, wMap, false, rows, n, tileColumns,
                    tileColumns, stages(tileColumns), k, PRODUCER_REGISTERS);
            return;
        }
        WarpGroup.setMaxRegisters(ctx, CONSUMER_REGISTERS, true);
        float[] acc = new float[tileColumns];
        int c = group - 1, groups = ctx.globalGroupSizeX / THREADS;
        int owned = owned(ctx, tiles(rows, n, tileColumns));
        for (int j = c; j < owned; j += 2) {
            int tile = ctx.groupIdx + j * groups;
            multiply(ctx, acc, aTiles, bTiles, full, empty, c, j, owned, k, tileColumns);
            GemmWgmma.storeBf16(y, bias, hasBias, yRow0, rows, n, firstRow(ctx, tile, rows, n, tileColumns),
                    firstColumn(ctx, tile, rows, n, tileColumns), acc, 2, tileColumns);
        }
    }

    /**
     * The gate/up projection with SwiGLU fused, h = silu(x·Wgᵀ)·(x·Wuᵀ) in bf16 pairs: a tile's
     * first tileColumns/2 W rows come from the gate map, the next tileColumns/2 are the same rows
     * of the up map, so a tile covers tileColumns/2 columns of h.
     */
    @LaunchBounds(threads = THREADS, minGroupsPerMultiprocessor = 1)
    public static void matmulSwiGlu(KernelContext ctx, I32Array h, TensorMap xMap, TensorMap gateMap, TensorMap upMap,
                                    int rows, int inter, int k, @Constant int tileColumns) {
        int[] aTiles = ctx.allocateIntLocalArray(stages(tileColumns) * A_STAGE);
        int[] bTiles = ctx.allocateIntLocalArray(stages(tileColumns) * tileColumns * WarpGroup.ROW_INTS);
        long[] full = ctx.allocateLongLocalArray(stages(tileColumns));
        long[] empty = ctx.allocateLongLocalArray(stages(tileColumns));
        int group = GemmTma.start(ctx, full, empty, stages(tileColumns), WarpGroup.SIZE);
        if (group == 0) {
            GemmTma.produce(ctx, aTiles, bTiles, full, empty, xMap, 0, gateMap, upMap, true, rows, inter,
                    tileColumns / 2, tileColumns, stages(tileColumns), k, PRODUCER_REGISTERS);
            return;
        }
        WarpGroup.setMaxRegisters(ctx, CONSUMER_REGISTERS, true);
        float[] acc = new float[tileColumns];
        int c = group - 1, groups = ctx.globalGroupSizeX / THREADS;
        int owned = owned(ctx, tiles(rows, inter, tileColumns / 2));
        for (int j = c; j < owned; j += 2) {
            int tile = ctx.groupIdx + j * groups;
            multiply(ctx, acc, aTiles, bTiles, full, empty, c, j, owned, k, tileColumns);
            GemmWgmma.storeSwiGlu(h, rows, inter, firstRow(ctx, tile, rows, inter, tileColumns / 2),
                    firstColumn(ctx, tile, rows, inter, tileColumns / 2), acc, 2, tileColumns);
        }
    }

    /** Tiles of BM rows × {@code width} output columns. */
    static int tiles(int rows, int n, int width) {
        return (rows + BM - 1) / BM * ((n + width - 1) / width);
    }

    /** Tiles this group owns: groupIdx, groupIdx + groups, … below {@code tiles}. */
    private static int owned(KernelContext ctx, int tiles) {
        int groups = ctx.globalGroupSizeX / THREADS;
        return ctx.groupIdx < tiles ? (tiles - ctx.groupIdx + groups - 1) / groups : 0;
    }

    /** The first output row of this consumer work-item's accumulators in tile {@code tile}. */
    private static int firstRow(KernelContext ctx, int tile, int rows, int n, int width) {
        return GemmWgmma.firstRow(ctx, GemmWgmma.rasterTile(tile, rows, n, width, BM, false) * BM, 0, 2);
    }

    /** The first output column of this work-item's accumulators in tile {@code tile}. */
    private static int firstColumn(KernelContext ctx, int tile, int rows, int n, int width) {
        return GemmWgmma.firstColumn(ctx, GemmWgmma.rasterTile(tile, rows, n, width, BM, true) * width);
    }

    /**
     * Consumer c's products for the group's tile j (of {@code owned}): slices j·kTiles …. It waits
     * for its turn (not before the group's first tile), then for each slice (parity
     * (slice / stages) % 2 of its full barrier), issues the slice's products and releases the
     * previous slice's stage once those products are done; with the last products issued it
     * hands the turn to the other consumer (if that one has a tile after this), then waits for
     * them and releases the last stage. The accumulators are then this tile's.
     */
    private static void multiply(KernelContext ctx, float[] acc, int[] aTiles, int[] bTiles, long[] full, long[] empty,
                                 int c, int j, int owned, int k, int tileColumns) {
        int stages = stages(tileColumns);
        int bStage = tileColumns * WarpGroup.ROW_INTS;
        int kTiles = (k + BK - 1) / BK;
        if (j > 0) {
            if (c == 0) {
                NamedBarrier.sync(ctx, TURN_0, 2 * WarpGroup.SIZE);
            } else {
                NamedBarrier.sync(ctx, TURN_1, 2 * WarpGroup.SIZE);
            }
        }
        int slice = j * kTiles;
        for (int t = 0; t < kTiles; t++) {
            int s = slice % stages;
            Mbarrier.waitParity(ctx, full, s, (slice / stages) & 1);
            WarpGroup.fence(ctx);
            GemmWgmma.multiplyStage(ctx, acc, aTiles, s * A_STAGE, bTiles, s * bStage, 2, tileColumns, t == 0);
            WarpGroup.commit(ctx);
            WarpGroup.waitPending(ctx, 1);
            if (t > 0) Mbarrier.arrive(ctx, empty, (slice - 1) % stages);
            slice++;
        }
        if (j + 1 < owned) {
            if (c == 0) {
                NamedBarrier.arrive(ctx, TURN_1, 2 * WarpGroup.SIZE);
            } else {
                NamedBarrier.arrive(ctx, TURN_0, 2 * WarpGroup.SIZE);
            }
        }
        WarpGroup.waitPending(ctx, 0);
        Mbarrier.arrive(ctx, empty, (slice - 1) % stages);
    }
}
