package org.apbj.kernels.lib;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.BulkCopy;
import org.apbj.kernels.api.Constant;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.I64Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.LaunchBounds;
import org.apbj.kernels.api.Mbarrier;
import org.apbj.kernels.api.TensorMap;
import org.apbj.kernels.api.WarpGroup;

/**
 * {@link GemmWgmma}'s products and epilogues fed by the tensor memory accelerator (TMA, sm_90),
 * warp-specialised and persistent: the Hopper GEMM's layout of work as FlashAttention-3 and
 * CUTLASS organise it.
 *
 * <p>A group is three warpgroups. Warpgroup 0 is the producer: one of its work-items issues,
 * for every k-slice of every tile the group owns, three bulk tensor copies (a {@value #BM}×64
 * box of x and two 128×64 boxes of W, 128-byte swizzled) into one of {@value #STAGES} stages,
 * completing on that stage's "full" mbarrier; it waits for the stage's "empty" mbarrier first.
 * Warpgroups 1 and 2 are the consumers: each owns 64 rows of the {@value #BM}×{@value #BN}
 * tile, waits for a stage to fill, issues its four m64n256k16 products (wgmma), keeps one group
 * of products in flight, and releases the stage it no longer reads. Tiles are assigned
 * round-robin over the groups, which are as many as the device has multiprocessors, in the
 * L2 raster of {@link GemmWgmma#rasterTile}: while the consumers store one tile, the producer
 * already fills the stages for the next. The producer gives its registers to the consumers
 * ({@link WarpGroup#setMaxRegisters}).
 *
 * <p>The maps: x as {@code TensorMap.tiled2d(x, k, xRow0 + rows, k, 64, BM, B128)}, W as
 * {@code tiled2d(w, k, n, k, 64, 128, B128)} (see {@link KernelOps}); rows past a map read as
 * zeros, and outputs past rows or n are not stored. k must be a multiple of 8.
 * Grid: {@code Grid.of(groups·THREADS, 1, THREADS, 1)} for any number of groups.
 */
public final class GemmTma {
    private GemmTma() {}

    public static final int BM = 2 * WarpGroup.M;
    public static final int BN = 256;
    public static final int BK = WarpGroup.ROW_ELEMENTS;
    /** Rows of a W box: half a tile's columns (gate, then up, for the fused SwiGLU). */
    public static final int W_BOX_ROWS = BN / 2;
    public static final int STAGES = 4;
    public static final int THREADS = 3 * WarpGroup.SIZE;
    static final int A_STAGE = BM * WarpGroup.ROW_INTS;
    static final int B_STAGE = BN * WarpGroup.ROW_INTS;
    /**
     * Registers per work-item after setmaxnreg. The launch gives every work-item
     * {@link #LAUNCH_REGISTERS}; consumers can only grow by what the producer gives up (else
     * setmaxnreg.inc waits forever): SIZE·(LAUNCH − PRODUCER) ≥ 2·SIZE·(CONSUMER − LAUNCH).
     */
    static final int PRODUCER_REGISTERS = 40;
    static final int CONSUMER_REGISTERS = 232;
    /** What ptxas allots each of the THREADS work-items at launch: 65536 / 384, rounded down to 8. */
    static final int LAUNCH_REGISTERS = 65536 / THREADS / 8 * 8;

    /** fp32 output (pairs: n even), optional bias, optional accumulate into y (the residual stream). */
    @LaunchBounds(threads = THREADS, minGroupsPerMultiprocessor = 1)
    public static void matmul(KernelContext ctx, I64Array y, int yRow0, TensorMap xMap, int xRow0, TensorMap wMap,
                              BF16Array bias, int rows, int n, int k, @Constant boolean hasBias,
                              @Constant boolean accumulate) {
        int[] aTiles = ctx.allocateIntLocalArray(STAGES * A_STAGE);
        int[] bTiles = ctx.allocateIntLocalArray(STAGES * B_STAGE);
        long[] full = ctx.allocateLongLocalArray(STAGES);
        long[] empty = ctx.allocateLongLocalArray(STAGES);
        int group = start(ctx, full, empty, STAGES, 2 * WarpGroup.SIZE);
        if (group == 0) {
            produce(ctx, aTiles, bTiles, full, empty, xMap, xRow0, wMap, wMap, false, rows, n, BN, BN, STAGES, k,
                    PRODUCER_REGISTERS);
            return;
        }
        WarpGroup.setMaxRegisters(ctx, CONSUMER_REGISTERS, true);
        float[] acc = new float[BN / 2];
        int slice = 0;
        for (int tile = ctx.groupIdx; tile < tiles(rows, n, BN); tile += ctx.globalGroupSizeX / THREADS) {
            slice = consume(ctx, acc, aTiles, bTiles, full, empty, group, k, slice);
            GemmWgmma.storeF32(y, bias, hasBias, accumulate, yRow0, rows, n, firstRow(ctx, tile, rows, n, BN, group),
                    firstColumn(ctx, tile, rows, n, BN), acc, 1, BN);
        }
    }

    /** bf16 output (pairs: n even), optional bias. */
    @LaunchBounds(threads = THREADS, minGroupsPerMultiprocessor = 1)
    public static void matmulBf16Out(KernelContext ctx, I32Array y, int yRow0, TensorMap xMap, int xRow0, TensorMap wMap,
                                     BF16Array bias, int rows, int n, int k, @Constant boolean hasBias) {
        int[] aTiles = ctx.allocateIntLocalArray(STAGES * A_STAGE);
        int[] bTiles = ctx.allocateIntLocalArray(STAGES * B_STAGE);
        long[] full = ctx.allocateLongLocalArray(STAGES);
        long[] empty = ctx.allocateLongLocalArray(STAGES);
        int group = start(ctx, full, empty, STAGES, 2 * WarpGroup.SIZE);
        if (group == 0) {
            produce(ctx, aTiles, bTiles, full, empty, xMap, xRow0, wMap, wMap, false, rows, n, BN, BN, STAGES, k,
                    PRODUCER_REGISTERS);
            return;
        }
        WarpGroup.setMaxRegisters(ctx, CONSUMER_REGISTERS, true);
        float[] acc = new float[BN / 2];
        int slice = 0;
        for (int tile = ctx.groupIdx; tile < tiles(rows, n, BN); tile += ctx.globalGroupSizeX / THREADS) {
            slice = consume(ctx, acc, aTiles, bTiles, full, empty, group, k, slice);
            GemmWgmma.storeBf16(y, bias, hasBias, yRow0, rows, n, firstRow(ctx, tile, rows, n, BN, group),
                    firstColumn(ctx, tile, rows, n, BN), acc, 1, BN);
        }
    }

    /**
     * The gate/up projection with SwiGLU fused, h = silu(x·Wgᵀ)·(x·Wuᵀ) in bf16 pairs: a tile's
     * first 128 W rows come from the gate map, the next 128 are the same rows of the up map.
     */
    @LaunchBounds(threads = THREADS, minGroupsPerMultiprocessor = 1)
    public static void matmulSwiGlu(KernelContext ctx, I32Array h, TensorMap xMap, TensorMap gateMap, TensorMap upMap,
                                    int rows, int inter, int k) {
        int[] aTiles = ctx.allocateIntLocalArray(STAGES * A_STAGE);
        int[] bTiles = ctx.allocateIntLocalArray(STAGES * B_STAGE);
        long[] full = ctx.allocateLongLocalArray(STAGES);
        long[] empty = ctx.allocateLongLocalArray(STAGES);
        int group = start(ctx, full, empty, STAGES, 2 * WarpGroup.SIZE);
        if (group == 0) {
            produce(ctx, aTiles, bTiles, full, empty, xMap, 0, gateMap, upMap, true, rows, inter, W_BOX_ROWS, BN, STAGES,
                    k, PRODUCER_REGISTERS);
            return;
        }
        WarpGroup.setMaxRegisters(ctx, CONSUMER_REGISTERS, true);
        float[] acc = new float[BN / 2];
        int slice = 0;
        for (int tile = ctx.groupIdx; tile < tiles(rows, inter, W_BOX_ROWS); tile += ctx.globalGroupSizeX / THREADS) {
            slice = consume(ctx, acc, aTiles, bTiles, full, empty, group, k, slice);
            GemmWgmma.storeSwiGlu(h, rows, inter, firstRow(ctx, tile, rows, inter, W_BOX_ROWS, group),
                    firstColumn(ctx, tile, rows, inter, W_BOX_ROWS), acc, 1, BN);
        }
    }

    /** Tiles of BM rows × {@code width} output columns. */
    static int tiles(int rows, int n, int width) {
        return (rows + BM - 1) / BM * ((n + width - 1) / width);
    }

    /** The first output row of this consumer work-item's accumulators in tile {@code tile}. */
    private static int firstRow(KernelContext ctx, int tile, int rows, int n, int width, int group) {
        int rowBase = GemmWgmma.rasterTile(tile, rows, n, width, BM, false) * BM;
        return GemmWgmma.firstRow(ctx, rowBase, group - 1, 1);
    }

    /** The first output column of this work-item's accumulators in tile {@code tile}. */
    private static int firstColumn(KernelContext ctx, int tile, int rows, int n, int width) {
        return GemmWgmma.firstColumn(ctx, GemmWgmma.rasterTile(tile, rows, n, width, BM, true) * width);
    }

    /**
     * Sets up the stages' barriers and returns this work-item's warpgroup: 0 the producer, 1 and
     * 2 the consumers. "full" completes when the producer armed it with the stage's bytes and the
     * copies delivered them; "empty" when {@code releasers} consumer work-items released the
     * stage (both consumers here; in {@link GemmTmaPingPong} the one that read it). The split into
     * roles that follows (producer returns, consumers take registers) stays in each kernel body:
     * returned through a helper instead, ptxas ignored setmaxnreg (C7507) and serialised the wgmma.
     */
    static int start(KernelContext ctx, long[] full, long[] empty, int stages, int releasers) {
        if (ctx.localIdx == 0) {
            for (int s = 0; s < stages; s++) {
                Mbarrier.init(ctx, full, s, 1);
                Mbarrier.init(ctx, empty, s, releasers);
            }
        }
        ctx.localBarrier();
        return ctx.broadcast(ctx.localIdx >> 7, 0);   // warp-uniform for ptxas
    }

    /**
     * The producer (of this kernel and of {@link GemmTmaPingPong}): slice number {@code slice}
     * (counted over all the group's tiles, in order) goes to stage slice % stages once the
     * consumers released that stage's previous slice (round r waits for parity (r − 1) % 2 of its
     * empty barrier). A stage holds the BM×64 box of x and two (tileColumns/2)×64 boxes of W.
     * Only work-item 0 issues copies; the warpgroup first gives up its registers, keeping
     * {@code registers}. {@code width}: output columns per tile (tileColumns, or tileColumns/2
     * when the two W boxes come from two maps).
     */
    static void produce(KernelContext ctx, int[] aTiles, int[] bTiles, long[] full, long[] empty, TensorMap xMap,
                        int xRow0, TensorMap wMap, TensorMap w2Map, boolean dual, int rows, int n, int width,
                        int tileColumns, int stages, int k, int registers) {
        WarpGroup.setMaxRegisters(ctx, registers, false);
        if (ctx.localIdx != 0) return;
        int bStage = tileColumns * WarpGroup.ROW_INTS;
        int boxRows = tileColumns / 2;
        int stageBytes = 4 * (A_STAGE + bStage);
        int kTiles = (k + BK - 1) / BK;
        int slice = 0;
        for (int tile = ctx.groupIdx; tile < tiles(rows, n, width); tile += ctx.globalGroupSizeX / THREADS) {
            int rowBase = GemmWgmma.rasterTile(tile, rows, n, width, BM, false) * BM;
            int colBase = GemmWgmma.rasterTile(tile, rows, n, width, BM, true) * width;
            for (int t = 0; t < kTiles; t++) {
                int s = slice % stages;
                if (slice >= stages) Mbarrier.waitParity(ctx, empty, s, (slice / stages - 1) & 1);
                Mbarrier.arriveExpectTx(ctx, full, s, stageBytes);
                int k0 = t * BK;
                BulkCopy.load2d(ctx, aTiles, s * A_STAGE, xMap, k0, xRow0 + rowBase, full, s);
                BulkCopy.load2d(ctx, bTiles, s * bStage, wMap, k0, colBase, full, s);
                if (dual) BulkCopy.load2d(ctx, bTiles, s * bStage + bStage / 2, w2Map, k0, colBase, full, s);
                else BulkCopy.load2d(ctx, bTiles, s * bStage + bStage / 2, wMap, k0, colBase + boxRows, full, s);
                slice++;
            }
        }
    }

    /**
     * A consumer's products for one tile, from slice number {@code slice} on; returns the next
     * slice number. It waits for each slice (parity (slice / STAGES) % 2 of its full barrier),
     * issues its products, and once the previous slice's products are done releases that stage;
     * the last stage is released after the final wait.
     */
    static int consume(KernelContext ctx, float[] acc, int[] aTiles, int[] bTiles, long[] full, long[] empty, int group,
                       int k, int slice) {
        int aAt = (group - 1) * WarpGroup.M * WarpGroup.ROW_INTS;
        int kTiles = (k + BK - 1) / BK;
        int next = slice;
        for (int t = 0; t < kTiles; t++) {
            int s = next % STAGES;
            Mbarrier.waitParity(ctx, full, s, (next / STAGES) & 1);
            WarpGroup.fence(ctx);
            GemmWgmma.multiplyStage(ctx, acc, aTiles, s * A_STAGE + aAt, bTiles, s * B_STAGE, 1, BN, t == 0);
            WarpGroup.commit(ctx);
            WarpGroup.waitPending(ctx, 1);
            if (t > 0) Mbarrier.arrive(ctx, empty, (next - 1) % STAGES);
            next++;
        }
        WarpGroup.waitPending(ctx, 0);
        Mbarrier.arrive(ctx, empty, (next - 1) % STAGES);
        return next;
    }
}
