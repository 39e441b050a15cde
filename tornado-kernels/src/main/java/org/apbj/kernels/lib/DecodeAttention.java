package org.apbj.kernels.lib;

import org.apbj.kernels.api.AsyncCopy;
import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.Constant;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.KernelMath;
import org.apbj.kernels.api.LaunchBounds;
import org.apbj.kernels.api.TensorCore;
import org.apbj.kernels.api.Unroll;

/**
 * Attention for a few query rows against a long cache (decoding, the APB phase-2 query), split
 * over keys (flash-decoding) and GQA-aware: one group per (KV head, key split, 16 query rows)
 * reads each K and V tile once and serves every query head of that KV head and every query row
 * with it. Same arguments, layouts, APB mask, key splits and (out, lse) as
 * {@link Attention#attention}, so {@link Attention#mergeSplits} merges its partial results;
 * Q is rounded to bf16 (after scaling) and P to bf16 before P·V, as in {@link FlashAttention}.
 *
 * <p>Why this shape: a decode step's attention reads the whole cache once per layer and does
 * two multiply-adds per byte, so it is bound by memory, not arithmetic. The (query row, head)
 * pairs of one KV head — nq·(nHeads/nKvHeads) of them, 4 for Llama-3-8B decoding — are the 16
 * rows of one tensor-core tile (row r: query row r / G, head kvHead·G + r % G, G =
 * nHeads/nKvHeads; more pairs take more tiles in the grid's x), so K and V leave memory once per
 * KV head instead of once per query head, and the padding rows cost tensor-core time nobody
 * needs. Each of the {@link #WARPS} warps takes {@link #WARP_KEYS} keys of every {@link #BKV}-key
 * tile with its own running max, sum and output (no barrier between the warps' softmax steps);
 * K and V tiles arrive by cp.async {@link #STAGES} tiles ahead; at the end the warps' partials
 * meet in shared memory.
 *
 * <p>Grid: {@code Grid.of(ceil(nq·G/16)·THREADS, nKvHeads, splits, THREADS, 1, 1)}; split z
 * sees keys [z·keysPerSplit, (z+1)·keysPerSplit) and writes at offset z·(nq·nHeads·d) of out
 * and z·(nq·nHeads) of lse. With {@code keysFromStep} the cache length comes from the device:
 * p = {@code step[0]} (the tokens cached before this call's rows) and keysPerSplit is the key
 * count divided over the grid's splits, so one launch (a captured graph) serves every step.
 */
public final class DecodeAttention {
    private DecodeAttention() {}

    public static final int WARPS = 4;
    public static final int THREADS = 32 * WARPS;
    /** (query row, head) pairs per group: the M of one mma tile. */
    public static final int ROWS = 16;
    /** Keys per warp per tile: the N of two mma tiles for S, the K of one for P·V. */
    public static final int WARP_KEYS = 16;
    /** Keys per tile; with THREADS the same as {@link FlashAttention}'s, whose tile copies fill this kernel's stages. */
    public static final int BKV = WARPS * WARP_KEYS;
    /** K/V tiles in shared memory: the one being used and two in flight. */
    public static final int STAGES = 3;
    public static final int MAX_HEAD_DIM = 128;
    /** Keys per split are a multiple of this, so splits start on a tile. */
    public static final int SPLIT_ALIGN = 64;

    private static final float LOG2E = 1.4426950408889634f;
    /** Ints per shared K/V row: headDim / 2 pairs plus 4 of padding (ldmatrix rows hit distinct banks). */
    static int stride(int headDim) { return headDim / 2 + 4; }
    private static final int TILE_INTS = BKV * (MAX_HEAD_DIM / 2 + 4);

    /** Whether {@link #attention} serves this head dim. */
    public static boolean supportsHeadDim(int headDim) { return headDim == 64 || headDim == 128; }

    /** Groups in the grid's x: tiles of {@link #ROWS} (query row, head) pairs of one KV head. */
    public static int rowTiles(int nq, int nHeads, int nKvHeads) {
        long pairs = (long) nq * (nHeads / nKvHeads);
        return (int) ((pairs + ROWS - 1) / ROWS);
    }

    /** Two groups per multiprocessor: the shared memory (3 stages of K and V, 104 KiB at d = 128) allows no more. */
    @LaunchBounds(threads = THREADS, minGroupsPerMultiprocessor = 2)
    public static void attention(KernelContext ctx, F32Array out, F32Array lse, F32Array q, BF16Array k, BF16Array v,
                                 int nq, int p, int a, int b, @Constant boolean causal, int nHeads, int nKvHeads,
                                 @Constant int headDim, float scale, int keysPerSplit, I32Array step,
                                 @Constant boolean keysFromStep) {
        int stride = stride(headDim);
        int[] kTiles = ctx.allocateIntLocalArray(STAGES * TILE_INTS);
        int[] vTiles = ctx.allocateIntLocalArray(STAGES * TILE_INTS);
        float[] warpMax = ctx.allocateFloatLocalArray(WARPS * ROWS);
        float[] warpSum = ctx.allocateFloatLocalArray(WARPS * ROWS);
        int lane = ctx.laneId();
        int warp = ctx.localIdx >> 5;
        int t = lane & 3;
        int group = nHeads / nKvHeads;
        int kvh = ctx.groupIdy;
        int split = ctx.groupIdz;
        int splits = ctx.globalGroupSizeZ;
        int row0 = ctx.groupIdx * ROWS;
        if (keysFromStep) {
            p = step.get(0);
            int all = p + a + b;
            int per = (all + splits - 1) / splits;
            keysPerSplit = KernelMath.max(SPLIT_ALIGN, (per + SPLIT_ALIGN - 1) / SPLIT_ALIGN * SPLIT_ALIGN);
        }
        int nKeys = p + a + b;
        int kvStride = nKvHeads * headDim;
        int kvOffset = kvh * headDim;

        // This lane's rows g and g + 8 of the tile: query row and head of each, and the keys each sees.
        int rA = row0 + (lane >> 2);
        int rB = rA + 8;
        int qiA = rA / group;
        int qiB = rB / group;
        int splitLo = split * keysPerSplit;
        int splitEnd = KernelMath.min(nKeys, splitLo + keysPerSplit);
        int loA = KernelMath.max(splitLo, lowestKey(qiA, p, a, causal));
        int hiA = KernelMath.min(splitEnd, highestKey(qiA, p, nKeys, causal) + 1);
        int loB = KernelMath.max(splitLo, lowestKey(qiB, p, a, causal));
        int hiB = KernelMath.min(splitEnd, highestKey(qiB, p, nKeys, causal) + 1);
        // Keys some row of the tile sees [keyLo, keyEnd), and those all rows see [fullLo, fullEnd).
        int firstQi = row0 / group;
        int lastQi = KernelMath.min(nq - 1, (row0 + ROWS - 1) / group);
        int keyLo = KernelMath.max(splitLo, lowestKey(lastQi, p, a, causal));
        int keyEnd = KernelMath.min(splitEnd, highestKey(lastQi, p, nKeys, causal) + 1);
        int fullLo = KernelMath.max(splitLo, lowestKey(firstQi, p, a, causal));
        int fullEnd = KernelMath.min(splitEnd, highestKey(firstQi, p, nKeys, causal) + 1);
        int firstTile = keyLo - keyLo % BKV;
        int tiles = keyLo < keyEnd ? (keyEnd - firstTile + BKV - 1) / BKV : 0;

        int[] qf = new int[4 * (MAX_HEAD_DIM / 16)];
        float[] s = new float[8];
        float[] o = new float[4 * (MAX_HEAD_DIM / 8)];
        int[] pf = new int[4];
        float[] stats = new float[4];   // running max (base 2) and sum of rows g and g + 8 of this lane
        int qStride = nHeads * headDim;
        FlashAttention.initStats(stats);

        int kAt = TensorCore.matrixOffsetB(ctx, stride) + WARP_KEYS * warp * stride;
        int vAt = TensorCore.matrixOffsetA(ctx, stride) + WARP_KEYS * warp * stride;
        for (int st = 0; st < STAGES - 1; st++) {
            if (st < tiles) {
                FlashAttention.copyTile(ctx, kTiles, st * TILE_INTS, k, firstTile + st * BKV, nKeys, kvStride, kvOffset,
                        stride, headDim);
                FlashAttention.copyTile(ctx, vTiles, st * TILE_INTS, v, firstTile + st * BKV, nKeys, kvStride, kvOffset,
                        stride, headDim);
            }
            AsyncCopy.commit(ctx);
        }
        // Q after the first tiles' copies: its loads' latency hides under theirs instead of
        // delaying the start of the K/V stream (a fixed cost of every call, not per byte).
        loadQ(q, qf, qiA, qiB, nq, qStride, (kvh * group + rA % group) * headDim, (kvh * group + rB % group) * headDim,
                scale * LOG2E, t, headDim);
        for (int i = 0; i < tiles; i++) {
            AsyncCopy.waitPending(ctx, STAGES - 2);
            ctx.localBarrier();   // tile i is in; every warp is done with tile i - 1, whose buffer is refilled next
            int ahead = i + STAGES - 1;
            if (ahead < tiles) {
                int at = ahead % STAGES * TILE_INTS;
                FlashAttention.copyTile(ctx, kTiles, at, k, firstTile + ahead * BKV, nKeys, kvStride, kvOffset, stride,
                        headDim);
                FlashAttention.copyTile(ctx, vTiles, at, v, firstTile + ahead * BKV, nKeys, kvStride, kvOffset, stride,
                        headDim);
            }
            AsyncCopy.commit(ctx);
            // This warp's 16 keys. A warp whose keys no row sees (the last tile) still runs the
            // tile, fully masked: warp operations must be reached by the whole group.
            int key0 = firstTile + i * BKV + WARP_KEYS * warp;
            int buf = i % STAGES * TILE_INTS;
            scores(ctx, s, qf, kTiles, buf + kAt, headDim);
            if (key0 < fullLo || key0 + WARP_KEYS > fullEnd) mask(s, key0, t, loA, hiA, loB, hiB);
            FlashAttention.softmax(ctx, s, o, pf, stats, WARP_KEYS, headDim);
            accumulate(ctx, o, pf, vTiles, buf + vAt, headDim);
        }

        // The warps' partials meet: the tile's max per row, each warp's O and sum rescaled to it,
        // summed through shared memory (the K tiles' memory, free once every copy has landed).
        AsyncCopy.waitPending(ctx, 0);
        float sumA = quadSum(ctx, stats[2]);
        float sumB = quadSum(ctx, stats[3]);
        if (t == 0) {
            warpMax[warp * ROWS + (lane >> 2)] = stats[0];
            warpMax[warp * ROWS + (lane >> 2) + 8] = stats[1];
        }
        ctx.localBarrier();
        float maxA = Float.NEGATIVE_INFINITY;
        float maxB = Float.NEGATIVE_INFINITY;
        for (int w = 0; w < WARPS; w++) {
            maxA = KernelMath.max(maxA, warpMax[w * ROWS + (lane >> 2)]);
            maxB = KernelMath.max(maxB, warpMax[w * ROWS + (lane >> 2) + 8]);
        }
        float fA = stats[0] == Float.NEGATIVE_INFINITY ? 0.0f : KernelMath.exp2Approx(stats[0] - maxA);
        float fB = stats[1] == Float.NEGATIVE_INFINITY ? 0.0f : KernelMath.exp2Approx(stats[1] - maxB);
        if (t == 0) {
            warpSum[warp * ROWS + (lane >> 2)] = sumA * fA;
            warpSum[warp * ROWS + (lane >> 2) + 8] = sumB * fB;
        }
        storePartial(kTiles, o, warp, lane, fA, fB, headDim);
        ctx.localBarrier();
        // ROWS × headDim outputs, THREADS at a time, consecutive work-items on consecutive columns.
        int outBase = split * nq * qStride;
        for (int e = ctx.localIdx; e < ROWS * headDim; e += THREADS) {
            int r = e / headDim;
            int c = e - r * headDim;
            float sum = 0.0f;
            float acc = 0.0f;
            for (int w = 0; w < WARPS; w++) {
                sum += warpSum[w * ROWS + r];
                acc += Float.intBitsToFloat(kTiles[(w * ROWS + r) * headDim + c]);
            }
            int row = row0 + r;
            int qi = row / group;
            int h = kvh * group + row % group;
            if (qi < nq) {
                out.set(outBase + qi * qStride + h * headDim + c, sum > 0.0f ? acc / sum : 0.0f);
                if (c == 0) {
                    float max = Float.NEGATIVE_INFINITY;
                    for (int w = 0; w < WARPS; w++) max = KernelMath.max(max, warpMax[w * ROWS + r]);
                    lse.set(split * nq * nHeads + qi * nHeads + h, FlashAttention.lse(max, sum));
                }
            }
        }
    }

    /** The first key query row qi sees: p for an anchor row of a causal call, else 0. */
    private static int lowestKey(int qi, int p, int a, boolean causal) {
        return causal && qi < a ? p : 0;
    }

    /** The last key query row qi sees: p + qi for a causal call, else the last key. */
    private static int highestKey(int qi, int p, int nKeys, boolean causal) {
        return causal ? KernelMath.min(p + qi, nKeys - 1) : nKeys - 1;
    }

    /**
     * This lane's A fragments of rows g (query row qiA, head column offset colA) and g + 8,
     * scaled and rounded to bf16; rows past nq are zeros. Rows past nq load row nq - 1 and
     * discard it, so no load sits behind a branch and all of them are in flight at once.
     */
    @Unroll
    private static void loadQ(F32Array q, int[] qf, int qiA, int qiB, int nq, int qStride, int colA, int colB, float scale,
                              int t, int headDim) {
        float scaleA = qiA < nq ? scale : 0.0f;
        float scaleB = qiB < nq ? scale : 0.0f;
        int rowA = KernelMath.min(qiA, nq - 1) * qStride + colA + 2 * t;
        int rowB = KernelMath.min(qiB, nq - 1) * qStride + colB + 2 * t;
        for (int ks = 0; ks < headDim / 16; ks++) {
            for (int r = 0; r < 4; r++) {
                int at = ((r & 1) == 0 ? rowA : rowB) + 16 * ks + 8 * (r >> 1);
                float f = (r & 1) == 0 ? scaleA : scaleB;
                qf[4 * ks + r] = TensorCore.packBf16(q.get(at) * f, q.get(at + 1) * f);
            }
        }
    }

    /** s = Q·Kᵀ for the tile's 16 rows and this warp's 16 keys (log2 units: Q carries scale·log2 e). */
    @Unroll
    private static void scores(KernelContext ctx, float[] s, int[] qf, int[] kTiles, int kAt, int headDim) {
        int[] kf = new int[4];
        for (int i = 0; i < 8; i++) s[i] = 0.0f;
        for (int ks = 0; ks < headDim / 16; ks++) {
            TensorCore.loadMatrixX4(ctx, kf, 0, kTiles, kAt + 8 * ks);
            TensorCore.mmaBf16(ctx, s, 0, qf, 4 * ks, kf, 0);
            TensorCore.mmaBf16(ctx, s, 4, qf, 4 * ks, kf, 2);
        }
    }

    /** Scores of keys a row does not see ([lo, hi) per row, split and mask included) become -inf. */
    @Unroll
    private static void mask(float[] s, int key0, int t, int loA, int hiA, int loB, int hiB) {
        for (int i = 0; i < 8; i++) {
            int key = key0 + 8 * (i >> 2) + 2 * t + (i & 1);
            boolean rowB = (i & 2) != 0;
            int lo = rowB ? loB : loA;
            int hi = rowB ? hiB : hiA;
            if (key < lo || key >= hi) s[i] = Float.NEGATIVE_INFINITY;
        }
    }

    /** O += P·V over the warp's 16 keys: V (keys × dims) read k-major with ldmatrix.trans. */
    @Unroll
    private static void accumulate(KernelContext ctx, float[] o, int[] pf, int[] vTiles, int vAt, int headDim) {
        int[] vf = new int[4];
        for (int dp = 0; dp < headDim / 16; dp++) {
            TensorCore.loadMatrixX4Trans(ctx, vf, 0, vTiles, vAt + 8 * dp);
            TensorCore.mmaBf16(ctx, o, 8 * dp, pf, 0, vf, 0);
            TensorCore.mmaBf16(ctx, o, 8 * dp + 4, pf, 0, vf, 2);
        }
    }

    /** Sum over the four lanes that share a row. */
    private static float quadSum(KernelContext ctx, float v) {
        v += ctx.shuffleXor(v, 1);
        return v + ctx.shuffleXor(v, 2);
    }

    /** This warp's O, rows scaled by fA / fB, into partial[(warp·ROWS + row)·headDim + column] (float bits). */
    @Unroll
    private static void storePartial(int[] partial, float[] o, int warp, int lane, float fA, float fB, int headDim) {
        int t = lane & 3;
        int rowA = warp * ROWS + (lane >> 2);
        for (int n = 0; n < headDim / 8; n++) {
            int col = 8 * n + 2 * t;
            partial[rowA * headDim + col] = Float.floatToRawIntBits(o[4 * n] * fA);
            partial[rowA * headDim + col + 1] = Float.floatToRawIntBits(o[4 * n + 1] * fA);
            partial[(rowA + 8) * headDim + col] = Float.floatToRawIntBits(o[4 * n + 2] * fB);
            partial[(rowA + 8) * headDim + col + 1] = Float.floatToRawIntBits(o[4 * n + 3] * fB);
        }
    }
}
