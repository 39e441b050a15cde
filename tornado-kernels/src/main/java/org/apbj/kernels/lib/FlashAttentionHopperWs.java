package org.apbj.kernels.lib;

import org.apbj.kernels.api.AsyncCopy;
import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.Constant;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.KernelMath;
import org.apbj.kernels.api.LaunchBounds;
import org.apbj.kernels.api.Mbarrier;
import org.apbj.kernels.api.NamedBarrier;
import org.apbj.kernels.api.WarpGroup;

/**
 * {@link FlashAttentionHopper} warp-specialised and pipelined, FlashAttention-3 style: same
 * arguments, layouts, APB mask, GQA, key splits, (out, lse) and rounding, same tiles (BQ = 128
 * query rows, BKV = 128 keys, Q and the K/V stages as swizzled bf16), the same products.
 * What changes is who waits for what:
 * <ul>
 * <li>A producer warpgroup only copies: K and V tiles by cp.async into a ring of {@link #STAGES}
 * stages, each copy completing the stage's "full" mbarrier (K and V have their own, so S = Q·Kᵀ
 * can start before V has landed); the consumers release a K stage once its S product is done
 * and a V stage once its P·V product is, on "empty" mbarriers. The producer gives registers to
 * the consumers (setmaxnreg). No group-wide barrier in the loop.</li>
 * <li>Each consumer warpgroup (64 query rows) overlaps its own softmax with its products: in
 * step j it issues S_j = Q·K_jᵀ and O += P_{j−1}·V_{j−1} back to back, then exponentiates S_j
 * while P_{j−1}·V_{j−1} still runs, and rescales O and packs P_j only after it finished
 * (FlashAttention.exponentiate / rescale / packP: the same arithmetic as the single-role kernel,
 * O rescaled before the product that adds to it rather than after).</li>
 * <li>The two consumers take turns issuing products (two named barriers, "ping-pong"): while
 * one warpgroup's products occupy the tensor cores the other runs its softmax on the special
 * function units.</li>
 * </ul>
 *
 * <p>Runs on sm_90a and on the Java device (whose work-items are threads); OpenCL has no
 * hand-offs between work-items and runs {@link FlashAttentionHopper}. Grid:
 * {@code Grid.of(ceil(nq/BQ)·THREADS, nHeads, splits, THREADS, 1, 1)}.
 */
public final class FlashAttentionHopperWs {
    private FlashAttentionHopperWs() {}

    public static final int CONSUMERS = 2;
    public static final int THREADS = (CONSUMERS + 1) * WarpGroup.SIZE;
    public static final int BQ = CONSUMERS * WarpGroup.M;
    public static final int BKV = FlashAttentionHopper.BKV;
    /** K (and V) tiles in the ring: 2 × 2 × 32 KiB + Q's 32 KiB = 160 KiB at d = 128. */
    public static final int STAGES = 2;

    /**
     * Registers per work-item after setmaxnreg: S (64), P (32) and O (64) live together in a
     * consumer while a product runs. Consumers grow only by what the producer frees:
     * SIZE·(LAUNCH − PRODUCER) ≥ CONSUMERS·SIZE·(CONSUMER − LAUNCH), else setmaxnreg.inc waits forever.
     */
    static final int PRODUCER_REGISTERS = 24;
    static final int CONSUMER_REGISTERS = 240;
    /** What ptxas allots each of the THREADS work-items at launch: 65536 / 384, rounded down to 8. */
    static final int LAUNCH_REGISTERS = 65536 / THREADS / 8 * 8;

    // Named barriers: a consumer's turn to issue products (256 work-items: its own 128 and the
    // other consumer's 128 that pass the turn), and each consumer's own barrier after storing Q.
    private static final int TURN_0 = 1, TURN_1 = 2, Q_READY_0 = 3, Q_READY_1 = 4;
    // mbarrier words: full K, full V, empty K, empty V, STAGES each
    private static final int FULL_K = 0, FULL_V = STAGES, EMPTY_K = 2 * STAGES, EMPTY_V = 3 * STAGES;

    private static final float LOG2E = 1.4426950408889634f;

    @LaunchBounds(threads = THREADS, minGroupsPerMultiprocessor = 1)
    public static void attention(KernelContext ctx, F32Array out, F32Array lse, F32Array q, BF16Array k, BF16Array v,
                                 int nq, int p, int a, int b, @Constant boolean causal, int nHeads, int nKvHeads,
                                 @Constant int headDim, float scale, int keysPerSplit, I32Array outBf16,
                                 @Constant boolean bf16Out, I32Array positions, F32Array invFreq,
                                 @Constant boolean ropeQ) {
        int[] qTile = ctx.allocateIntLocalArray(FlashAttentionHopper.Q_BLOCK
                * (FlashAttentionHopper.MAX_HEAD_DIM / WarpGroup.ROW_ELEMENTS));
        int[] kTiles = ctx.allocateIntLocalArray(STAGES * FlashAttentionHopper.TILE);
        int[] vTiles = ctx.allocateIntLocalArray(STAGES * FlashAttentionHopper.TILE);
        long[] bars = ctx.allocateLongLocalArray(4 * STAGES);
        // Causal groups late in the sequence see the most keys: start those first (shorter tail).
        int q0 = (causal ? ctx.globalGroupSizeX / THREADS - 1 - ctx.groupIdx : ctx.groupIdx) * BQ;
        int h = ctx.groupIdy;
        int split = ctx.groupIdz;
        int kvOffset = (h / (nHeads / nKvHeads)) * headDim;
        int kvStride = nKvHeads * headDim;
        int nKeys = p + a + b;
        int[] keys = new int[4];
        FlashAttention.keyRange(keys, q0, KernelMath.min(q0 + BQ, nq) - 1, split, keysPerSplit, nKeys, p, a, causal);
        int firstTile = keys[0] - keys[0] % BKV;
        int tiles = keys[0] < keys[1] ? (keys[1] - firstTile + BKV - 1) / BKV : 0;

        if (ctx.localIdx == 0) {
            for (int s = 0; s < STAGES; s++) {
                Mbarrier.init(ctx, bars, FULL_K + s, WarpGroup.SIZE);             // each producer work-item's copies
                Mbarrier.init(ctx, bars, FULL_V + s, WarpGroup.SIZE);
                Mbarrier.init(ctx, bars, EMPTY_K + s, CONSUMERS * WarpGroup.SIZE);  // every consumer work-item
                Mbarrier.init(ctx, bars, EMPTY_V + s, CONSUMERS * WarpGroup.SIZE);
            }
        }
        ctx.localBarrier();
        int role = ctx.broadcast(ctx.localIdx >> 7, 0);   // warp-uniform for ptxas
        if (role == 0) {
            WarpGroup.setMaxRegisters(ctx, PRODUCER_REGISTERS, false);
            produce(ctx, kTiles, vTiles, bars, k, v, firstTile, tiles, nKeys, kvStride, kvOffset, ctx.localIdx, headDim);
            return;
        }
        WarpGroup.setMaxRegisters(ctx, CONSUMER_REGISTERS, true);
        consume(ctx, out, lse, q, qTile, kTiles, vTiles, bars, role - 1, q0, nq, p, a, causal, nHeads, h, split, headDim,
                scale, keys[0], keys[1], keys[2], keys[3], firstTile, tiles, outBf16, bf16Out, positions, invFreq, ropeQ);
    }

    /**
     * The producer: K tile t, then V tile t, into stage t % STAGES once the consumers released
     * that stage's previous tile (round r = t / STAGES waits for parity (r − 1) % 2 of its empty
     * barrier); each work-item's copies complete the full barrier they were issued for.
     */
    private static void produce(KernelContext ctx, int[] kTiles, int[] vTiles, long[] bars, BF16Array k, BF16Array v,
                                int firstTile, int tiles, int nKeys, int kvStride, int kvOffset, int tid, int headDim) {
        for (int t = 0; t < tiles; t++) {
            int s = t % STAGES;
            int at = s * FlashAttentionHopper.TILE;
            int key0 = firstTile + t * BKV;
            if (t >= STAGES) Mbarrier.waitParity(ctx, bars, EMPTY_K + s, (t / STAGES - 1) & 1);
            copyTile(ctx, kTiles, k, at, key0, nKeys, kvStride, kvOffset, tid, headDim);
            Mbarrier.arriveAfterCopies(ctx, bars, FULL_K + s);
            if (t >= STAGES) Mbarrier.waitParity(ctx, bars, EMPTY_V + s, (t / STAGES - 1) & 1);
            copyTile(ctx, vTiles, v, at, key0, nKeys, kvStride, kvOffset, tid, headDim);
            Mbarrier.arriveAfterCopies(ctx, bars, FULL_V + s);
        }
        AsyncCopy.commit(ctx);
        AsyncCopy.waitPending(ctx, 0);   // no copy outlives its work-item
    }

    /**
     * The producer's copies of key rows [key0, key0 + BKV) into the swizzled tile at {@code at}
     * ({@link FlashAttentionHopper#copyTile}'s layout): a rolled loop, since the producer keeps
     * only {@link #PRODUCER_REGISTERS} registers. A work-item copies one 16-byte chunk of every
     * (SIZE / chunks per row)-th row, so its chunk's swizzled position is the same in each.
     */
    private static void copyTile(KernelContext ctx, int[] tiles, BF16Array src, int at, int key0, int nKeys, int kvStride,
                                 int kvOffset, int tid, int headDim) {
        int chunksPerRow = headDim / 8;
        int rowsPerPass = WarpGroup.SIZE / chunksPerRow;
        int chunk = tid % chunksPerRow;
        int row = tid / chunksPerRow;
        int dst = WarpGroup.swizzled(at + (chunk >> 3) * FlashAttentionHopper.BLOCK, row, chunk & 7);
        int key = key0 + row;
        int from = key * kvStride + kvOffset + 8 * chunk;
        for (int i = 0; i < BKV / rowsPerPass; i++) {
            boolean in = key < nKeys;
            AsyncCopy.copy16(ctx, tiles, dst, src, in ? from : 0, in);
            dst += rowsPerPass * WarpGroup.ROW_INTS;
            key += rowsPerPass;
            from += rowsPerPass * kvStride;
        }
    }

    /**
     * Consumer {@code c} (0 or 1): query rows q0 + 64c … q0 + 64c + 63. Every consumer goes
     * through the same tiles (those any row of the group sees), so both take the same number
     * of turns.
     */
    private static void consume(KernelContext ctx, F32Array out, F32Array lse, F32Array q, int[] qTile, int[] kTiles,
                                int[] vTiles, long[] bars, int c, int q0, int nq, int p, int a, boolean causal,
                                int nHeads, int h, int split, int headDim, float scale, int keyLo, int keyEnd,
                                int fullLo, int fullEnd, int firstTile, int tiles, I32Array outBf16, boolean bf16Out,
                                I32Array positions, F32Array invFreq, boolean ropeQ) {
        int tid = ctx.localIdx & (WarpGroup.SIZE - 1);
        int lane = ctx.laneId();
        int t4 = lane & 3;
        int row0 = q0 + WarpGroup.M * c + 16 * (tid >> 5) + (lane >> 2);
        int qAt = c * WarpGroup.M * WarpGroup.ROW_INTS;
        if (ropeQ) {
            FlashAttentionHopper.storeRotatedQ(q, qTile, q0, WarpGroup.M * c, WarpGroup.M, WarpGroup.SIZE, tid, nq,
                    nHeads * headDim, h * headDim, scale * LOG2E, headDim, positions, invFreq);
        } else {
            FlashAttentionHopper.storeQ(q, qTile, q0, WarpGroup.M * c, WarpGroup.M, WarpGroup.SIZE, tid, nq,
                    nHeads * headDim, h * headDim, scale * LOG2E, headDim);
        }
        WarpGroup.fenceAsyncProxy(ctx);
        if (c == 0) {
            NamedBarrier.sync(ctx, Q_READY_0, WarpGroup.SIZE);
        } else {
            NamedBarrier.sync(ctx, Q_READY_1, WarpGroup.SIZE);
        }

        float[] s = new float[BKV / 2];
        float[] o = new float[FlashAttentionHopper.MAX_HEAD_DIM / 2];
        int[] pf = new int[4 * (BKV / 16)];
        float[] stats = new float[4];   // running max (base 2) and sum of rows g and g + 8 of this lane
        float[] rescale = new float[2];
        FlashAttention.initStats(stats);
        if (tiles > 0) {
            if (c == 1) NamedBarrier.arrive(ctx, TURN_0, 2 * WarpGroup.SIZE);   // consumer 0 takes the first turn
            // Step 0: S_0 only.
            Mbarrier.waitParity(ctx, bars, FULL_K, 0);
            WarpGroup.fenceAsyncProxy(ctx);
            takeTurn(ctx, c);
            WarpGroup.fence(ctx);
            FlashAttentionHopper.scores(ctx, s, qTile, qAt, kTiles, 0, headDim);
            WarpGroup.commit(ctx);
            passTurn(ctx, c);
            WarpGroup.waitPending(ctx, 0);
            Mbarrier.arrive(ctx, bars, EMPTY_K);
            maskIfNeeded(s, firstTile, row0, t4, keyLo, keyEnd, fullLo, fullEnd, p, a, causal);
            FlashAttention.exponentiate(ctx, s, stats, rescale, BKV);
            FlashAttention.packP(s, pf, BKV);   // O is still zero: no rescale
            // Step t: S_t = Q·K_tᵀ and O += P_{t-1}·V_{t-1} in flight together; S_t's softmax under P·V.
            for (int t = 1; t < tiles; t++) {
                int st = t % STAGES;
                int prev = (t - 1) % STAGES;
                Mbarrier.waitParity(ctx, bars, FULL_K + st, (t / STAGES) & 1);
                WarpGroup.fenceAsyncProxy(ctx);
                takeTurn(ctx, c);
                WarpGroup.fence(ctx);
                FlashAttentionHopper.scores(ctx, s, qTile, qAt, kTiles, st * FlashAttentionHopper.TILE, headDim);
                WarpGroup.commit(ctx);
                Mbarrier.waitParity(ctx, bars, FULL_V + prev, ((t - 1) / STAGES) & 1);
                WarpGroup.fenceAsyncProxy(ctx);
                FlashAttention.rescale(o, rescale, headDim);
                WarpGroup.fence(ctx);
                FlashAttentionHopper.accumulate(ctx, o, pf, vTiles, prev * FlashAttentionHopper.TILE, headDim);
                WarpGroup.commit(ctx);
                passTurn(ctx, c);
                WarpGroup.waitPending(ctx, 1);   // S_t is in
                Mbarrier.arrive(ctx, bars, EMPTY_K + st);
                maskIfNeeded(s, firstTile + t * BKV, row0, t4, keyLo, keyEnd, fullLo, fullEnd, p, a, causal);
                FlashAttention.exponentiate(ctx, s, stats, rescale, BKV);
                WarpGroup.waitPending(ctx, 0);   // P_{t-1}·V_{t-1} is in: P and O are free
                Mbarrier.arrive(ctx, bars, EMPTY_V + prev);
                FlashAttention.packP(s, pf, BKV);
            }
            // The last P·V.
            int last = (tiles - 1) % STAGES;
            Mbarrier.waitParity(ctx, bars, FULL_V + last, ((tiles - 1) / STAGES) & 1);
            WarpGroup.fenceAsyncProxy(ctx);
            takeTurn(ctx, c);
            FlashAttention.rescale(o, rescale, headDim);
            WarpGroup.fence(ctx);
            FlashAttentionHopper.accumulate(ctx, o, pf, vTiles, last * FlashAttentionHopper.TILE, headDim);
            WarpGroup.commit(ctx);
            // Consumer 1's last pass would have no turn of consumer 0 left to open.
            if (c == 0) passTurn(ctx, c);
            WarpGroup.waitPending(ctx, 0);
        }
        if (bf16Out) {
            FlashAttention.storeBf16(ctx, outBf16, lse, o, stats, row0, nq, nHeads, h, t4, headDim);
        } else {
            FlashAttention.store(ctx, out, lse, o, stats, row0, nq, nHeads, h, split, t4, headDim);
        }
    }

    /** Masks the tile's scores unless every row of the group sees all its keys. */
    private static void maskIfNeeded(float[] s, int kt, int row0, int t4, int keyLo, int keyEnd, int fullLo, int fullEnd,
                                     int p, int a, boolean causal) {
        if (kt < fullLo || kt + BKV > fullEnd) FlashAttention.mask(s, BKV, kt, row0, t4, keyLo, keyEnd, p, a, causal);
    }

    /** Waits until it is consumer c's turn to issue products. */
    private static void takeTurn(KernelContext ctx, int c) {
        if (c == 0) {
            NamedBarrier.sync(ctx, TURN_0, 2 * WarpGroup.SIZE);
        } else {
            NamedBarrier.sync(ctx, TURN_1, 2 * WarpGroup.SIZE);
        }
    }

    /** Hands the turn to the other consumer once c's products are issued. */
    private static void passTurn(KernelContext ctx, int c) {
        if (c == 0) {
            NamedBarrier.arrive(ctx, TURN_1, 2 * WarpGroup.SIZE);
        } else {
            NamedBarrier.arrive(ctx, TURN_0, 2 * WarpGroup.SIZE);
        }
    }
}
