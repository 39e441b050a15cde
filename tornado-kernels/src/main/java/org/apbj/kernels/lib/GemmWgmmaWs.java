package org.apbj.kernels.lib;

import org.apbj.kernels.api.AsyncCopy;
import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.Constant;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.I64Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.LaunchBounds;
import org.apbj.kernels.api.Mbarrier;
import org.apbj.kernels.api.WarpGroup;

/**
 * {@link GemmWgmma} warp-specialised, for GPUs: the same tiles, stages, products and epilogues,
 * but one warpgroup only copies and two only multiply. The producer fills stage s with cp.async
 * and lets its copies complete the stage's "full" barrier ({@link Mbarrier#arriveAfterCopies});
 * the consumers wait for it, issue the products, and release the stage on its "empty" barrier
 * once the products that read it have finished. No group-wide barrier in the loop, so copies,
 * products and the consumers' bookkeeping overlap freely; the producer hands its registers to
 * the consumers ({@link WarpGroup#setMaxRegisters}). Runs on sm_90a and the Java device (whose
 * work-items are threads); OpenCL runs {@link GemmWgmma}, which has no hand-offs.
 * Grid: as GemmWgmma's with {@link #THREADS} work-items per group.
 */
public final class GemmWgmmaWs {
    private GemmWgmmaWs() {}

    public static final int THREADS = 3 * WarpGroup.SIZE;
    public static final int STAGES = GemmWgmma.STAGES;
    /**
     * Registers per work-item after setmaxnreg. The launch gives every work-item
     * {@link #LAUNCH_REGISTERS}; consumers can only grow by what the producer gives up (else
     * setmaxnreg.inc waits forever): SIZE·(LAUNCH − PRODUCER) ≥ 2·SIZE·(CONSUMER − LAUNCH).
     */
    static final int PRODUCER_REGISTERS = 56;
    static final int CONSUMER_REGISTERS = 224;
    /** What ptxas allots each of the THREADS work-items at launch: 65536 / 384, rounded down to 8. */
    static final int LAUNCH_REGISTERS = 65536 / THREADS / 8 * 8;

    @LaunchBounds(threads = THREADS, minGroupsPerMultiprocessor = 1)
    public static void matmul(KernelContext ctx, I64Array y, int yRow0, BF16Array x, int xRow0, BF16Array w,
                              BF16Array bias, int rows, int n, int k, @Constant boolean hasBias,
                              @Constant boolean accumulate, @Constant int mTiles) {
        int rowBase = GemmWgmma.tileRow(ctx, rows, n, GemmWgmma.BN, mTiles) * GemmWgmma.ROWS_PER_M_TILE * mTiles;
        int colBase = GemmWgmma.tileColumn(ctx, rows, n, GemmWgmma.BN, mTiles) * GemmWgmma.BN;
        int[] aTiles = ctx.allocateIntLocalArray(STAGES * GemmWgmma.ROWS_PER_M_TILE * mTiles * WarpGroup.ROW_INTS);
        int[] bTiles = ctx.allocateIntLocalArray(STAGES * GemmWgmma.B_STAGE);
        long[] full = ctx.allocateLongLocalArray(STAGES);
        long[] empty = ctx.allocateLongLocalArray(STAGES);
        int group = start(ctx, full, empty);
        if (group == 0) {
            produce(ctx, aTiles, bTiles, full, empty, x, xRow0, w, w, false, rows, n, k, rowBase, colBase, mTiles);
            return;
        }
        float[] acc = new float[mTiles * GemmWgmma.BN / 2];
        consume(ctx, acc, aTiles, bTiles, full, empty, group, k, mTiles);
        GemmWgmma.storeF32(y, bias, hasBias, accumulate, yRow0, rows, n, GemmWgmma.firstRow(ctx, rowBase, group - 1, mTiles),
                GemmWgmma.firstColumn(ctx, colBase), acc, mTiles);
    }

    @LaunchBounds(threads = THREADS, minGroupsPerMultiprocessor = 1)
    public static void matmulBf16Out(KernelContext ctx, I32Array y, int yRow0, BF16Array x, int xRow0, BF16Array w,
                                     BF16Array bias, int rows, int n, int k, @Constant boolean hasBias,
                                     @Constant int mTiles) {
        int rowBase = GemmWgmma.tileRow(ctx, rows, n, GemmWgmma.BN, mTiles) * GemmWgmma.ROWS_PER_M_TILE * mTiles;
        int colBase = GemmWgmma.tileColumn(ctx, rows, n, GemmWgmma.BN, mTiles) * GemmWgmma.BN;
        int[] aTiles = ctx.allocateIntLocalArray(STAGES * GemmWgmma.ROWS_PER_M_TILE * mTiles * WarpGroup.ROW_INTS);
        int[] bTiles = ctx.allocateIntLocalArray(STAGES * GemmWgmma.B_STAGE);
        long[] full = ctx.allocateLongLocalArray(STAGES);
        long[] empty = ctx.allocateLongLocalArray(STAGES);
        int group = start(ctx, full, empty);
        if (group == 0) {
            produce(ctx, aTiles, bTiles, full, empty, x, xRow0, w, w, false, rows, n, k, rowBase, colBase, mTiles);
            return;
        }
        float[] acc = new float[mTiles * GemmWgmma.BN / 2];
        consume(ctx, acc, aTiles, bTiles, full, empty, group, k, mTiles);
        GemmWgmma.storeBf16(y, bias, hasBias, yRow0, rows, n, GemmWgmma.firstRow(ctx, rowBase, group - 1, mTiles),
                GemmWgmma.firstColumn(ctx, colBase), acc, mTiles);
    }

    @LaunchBounds(threads = THREADS, minGroupsPerMultiprocessor = 1)
    public static void matmulSwiGlu(KernelContext ctx, I32Array h, BF16Array x, BF16Array wGate, BF16Array wUp, int rows,
                                    int inter, int k, @Constant int mTiles) {
        int width = GemmWgmma.BN / 2;
        int rowBase = GemmWgmma.tileRow(ctx, rows, inter, width, mTiles) * GemmWgmma.ROWS_PER_M_TILE * mTiles;
        int colBase = GemmWgmma.tileColumn(ctx, rows, inter, width, mTiles) * width;
        int[] aTiles = ctx.allocateIntLocalArray(STAGES * GemmWgmma.ROWS_PER_M_TILE * mTiles * WarpGroup.ROW_INTS);
        int[] bTiles = ctx.allocateIntLocalArray(STAGES * GemmWgmma.B_STAGE);
        long[] full = ctx.allocateLongLocalArray(STAGES);
        long[] empty = ctx.allocateLongLocalArray(STAGES);
        int group = start(ctx, full, empty);
        if (group == 0) {
            produce(ctx, aTiles, bTiles, full, empty, x, 0, wGate, wUp, true, rows, inter, k, rowBase, colBase, mTiles);
            return;
        }
        float[] acc = new float[mTiles * GemmWgmma.BN / 2];
        consume(ctx, acc, aTiles, bTiles, full, empty, group, k, mTiles);
        GemmWgmma.storeSwiGlu(h, rows, inter, GemmWgmma.firstRow(ctx, rowBase, group - 1, mTiles),
                GemmWgmma.firstColumn(ctx, colBase), acc, mTiles);
    }

    /**
     * Sets up the stages' barriers and returns this work-item's warpgroup: 0 the producer, 1 and
     * 2 the consumers (of the first and second half of the tile's rows). Each role allocates its own registers after
     * this (the accumulators only in the consumers), so that the producer's small register budget
     * never has to hold them.
     */
    static int start(KernelContext ctx, long[] full, long[] empty) {
        if (ctx.localIdx == 0) {
            for (int s = 0; s < STAGES; s++) {
                Mbarrier.init(ctx, full, s, WarpGroup.SIZE);           // each producer work-item's copies
                Mbarrier.init(ctx, empty, s, 2 * WarpGroup.SIZE);      // every consumer work-item
            }
        }
        ctx.localBarrier();
        return ctx.broadcast(ctx.localIdx >> 7, 0);   // warp-uniform for ptxas
    }

    /**
     * The producer: slice t goes to stage t % STAGES once the consumers released that stage's
     * previous slice (round r = t / STAGES waits for parity (r − 1) % 2 of its empty barrier); its
     * copies complete the stage's full barrier.
     */
    static void produce(KernelContext ctx, int[] aTiles, int[] bTiles, long[] full, long[] empty, BF16Array x, int xRow0,
                        BF16Array w, BF16Array w2, boolean dual, int rows, int n, int k, int rowBase, int colBase,
                        int mTiles) {
        WarpGroup.setMaxRegisters(ctx, PRODUCER_REGISTERS, false);
        int tid = ctx.localIdx;
        int kTiles = (k + GemmWgmma.BK - 1) / GemmWgmma.BK;
        for (int t = 0; t < kTiles; t++) {
            int s = t % STAGES;
            if (t >= STAGES) Mbarrier.waitParity(ctx, empty, s, (t / STAGES - 1) & 1);
            GemmWgmma.loadStage(ctx, aTiles, bTiles, s, x, xRow0, w, w2, dual, rows, n, k, rowBase, colBase,
                    t * GemmWgmma.BK, tid, WarpGroup.SIZE, mTiles);
            Mbarrier.arriveAfterCopies(ctx, full, s);
        }
        AsyncCopy.commit(ctx);
        AsyncCopy.waitPending(ctx, 0);   // no copy outlives its work-item
    }

    /**
     * A consumer: waits for slice t (parity (t / STAGES) % 2 of its full barrier), issues its
     * products, and once slice t − 1's products are done releases that stage.
     */
    static void consume(KernelContext ctx, float[] acc, int[] aTiles, int[] bTiles, long[] full, long[] empty, int group,
                        int k, int mTiles) {
        WarpGroup.setMaxRegisters(ctx, CONSUMER_REGISTERS, true);
        int aAt = (group - 1) * WarpGroup.M * mTiles * WarpGroup.ROW_INTS;
        int aStage = GemmWgmma.aStage(mTiles);
        int kTiles = (k + GemmWgmma.BK - 1) / GemmWgmma.BK;
        for (int t = 0; t < kTiles; t++) {
            int s = t % STAGES;
            Mbarrier.waitParity(ctx, full, s, (t / STAGES) & 1);
            WarpGroup.fenceAsyncProxy(ctx);
            WarpGroup.fence(ctx);
            GemmWgmma.multiplyStage(ctx, acc, aTiles, s * aStage + aAt, bTiles, s * GemmWgmma.B_STAGE, mTiles);
            WarpGroup.commit(ctx);
            WarpGroup.waitPending(ctx, 1);   // slice t - 1's products are done: its stage is free
            if (t > 0) Mbarrier.arrive(ctx, empty, (t - 1) % STAGES);
        }
        WarpGroup.waitPending(ctx, 0);
    }
}
