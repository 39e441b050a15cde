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
 * {@link Attention} on tensor cores, FlashAttention-2 style: same arguments, layouts, APB mask,
 * GQA, key splits and (out, lse) as {@link Attention#attention}; Q is rounded to bf16 (after
 * scaling) as it is loaded, as in any bf16 attention, and P to bf16 before P·V.
 *
 * <p>A group of {@link #WARPS} warps owns {@link #BQ} query rows of one head; warp w owns the
 * 16 rows 16·w.., whose Q fragments stay in registers for the whole kernel. Keys stream in tiles
 * of {@link #BKV}: K and V tiles are copied into shared memory with {@link AsyncCopy} (V of tile
 * j while S = Q·Kᵀ of tile j is computed, K of tile j + 1 while O += P·V of tile j is), S and
 * the P·V product run on mma.m16n8k16 with ldmatrix(.trans) fragment loads, and the online
 * softmax runs on the S accumulators in registers (base 2: Q is pre-scaled by log2 e), whose
 * layout is already P's A-fragment layout. Only tiles with a masked element test the mask;
 * tiles no row of the group sees are skipped.
 *
 * <p>Grid: {@code Grid.of(ceil(nq/BQ)·THREADS, nHeads, splits, THREADS, 1, 1)}. K and V rows
 * must start 16-byte aligned (head dims are multiples of 8, arrays are allocated aligned).
 */
public final class FlashAttention {
    private FlashAttention() {}

    public static final int WARPS = 4;
    public static final int THREADS = 32 * WARPS;
    public static final int BQ = 16 * WARPS;
    public static final int BKV = 64;
    public static final int MAX_HEAD_DIM = 128;
    /** Ints per shared K/V row: headDim / 2 pairs plus 4 of padding (ldmatrix rows hit distinct banks). */
    static int stride(int headDim) { return headDim / 2 + 4; }

    private static final float LOG2E = 1.4426950408889634f;
    private static final float LN2 = 0.6931471805599453f;

    /** Three groups per multiprocessor (≤ 170 registers): measured 3% faster than two at 16K, 35% in decode. */
    @LaunchBounds(threads = THREADS, minGroupsPerMultiprocessor = 3)
    public static void attention(KernelContext ctx, F32Array out, F32Array lse, F32Array q, BF16Array k, BF16Array v,
                                 int nq, int p, int a, int b, @Constant boolean causal, int nHeads, int nKvHeads,
                                 @Constant int headDim, float scale, int keysPerSplit) {
        int stride = stride(headDim);
        int[] kTile = ctx.allocateIntLocalArray(BKV * (MAX_HEAD_DIM / 2 + 4));
        int[] vTile = ctx.allocateIntLocalArray(BKV * (MAX_HEAD_DIM / 2 + 4));
        int lane = ctx.laneId();
        int warp = ctx.localIdx >> 5;
        int q0 = queryBlockStart(ctx, causal, THREADS, BQ);
        int h = ctx.groupIdy;
        int split = ctx.groupIdz;
        int kvOffset = kvHeadOffset(h, nHeads, nKvHeads, headDim);
        int kvStride = nKvHeads * headDim;
        int nKeys = p + a + b;

        int[] keys = new int[4];
        blockKeyRange(keys, q0, BQ, nq, split, keysPerSplit, nKeys, p, a, causal);
        int keyLo = keys[0];
        int keyEnd = keys[1];
        int fullLo = keys[2];
        int fullEnd = keys[3];

        int[] qf = new int[4 * (MAX_HEAD_DIM / 16)];
        float[] s = new float[4 * (BKV / 8)];
        float[] o = new float[4 * (MAX_HEAD_DIM / 8)];
        int[] pf = new int[4 * (BKV / 16)];
        float[] stats = new float[4];   // running max (base 2) and sum of rows g and g + 8 of this lane
        int row0 = q0 + 16 * warp + (lane >> 2);
        loadQ(q, qf, row0, nq, nHeads * headDim, h * headDim, scale * LOG2E, lane & 3, headDim);
        initStats(stats);

        int kAt = TensorCore.matrixOffsetB(ctx, stride);
        int vAt = TensorCore.matrixOffsetA(ctx, stride);
        int firstTile = keyLo - keyLo % BKV;
        if (firstTile < keyEnd) {
            copyTile(ctx, kTile, 0, k, firstTile, nKeys, kvStride, kvOffset, stride, headDim);
            AsyncCopy.commit(ctx);
        }
        for (int kt = firstTile; kt < keyEnd; kt += BKV) {
            AsyncCopy.waitPending(ctx, 0);
            ctx.localBarrier();   // K of this tile is in; every warp is done with the last V tile
            copyTile(ctx, vTile, 0, v, kt, nKeys, kvStride, kvOffset, stride, headDim);
            AsyncCopy.commit(ctx);

            scores(ctx, s, qf, kTile, kAt, headDim);
            if (kt < fullLo || kt + BKV > fullEnd) {
                mask(s, BKV, kt, row0, lane & 3, keyLo, keyEnd, p, a, causal);
            }
            softmax(ctx, s, o, pf, stats, BKV, headDim);

            AsyncCopy.waitPending(ctx, 0);
            ctx.localBarrier();   // V of this tile is in; every warp is done with this K tile
            if (kt + BKV < keyEnd) {
                copyTile(ctx, kTile, 0, k, kt + BKV, nKeys, kvStride, kvOffset, stride, headDim);
                AsyncCopy.commit(ctx);
            }
            accumulate(ctx, o, pf, vTile, vAt, headDim);
        }
        store(ctx, out, lse, o, stats, row0, nq, nHeads, h, split, lane & 3, headDim);
    }

    /** This lane's A fragments of the warp's 16 Q rows, scaled and rounded to bf16 (rows past nq are zeros). */
    @Unroll
    private static void loadQ(F32Array q, int[] qf, int row0, int nq, int qStride, int qOffset, float scale, int t,
                              int headDim) {
        for (int ks = 0; ks < headDim / 16; ks++) {
            for (int r = 0; r < 4; r++) {
                int row = row0 + 8 * (r & 1);
                int col = qOffset + 16 * ks + 8 * (r >> 1) + 2 * t;
                float lo = 0.0f;
                float hi = 0.0f;
                if (row < nq) {
                    lo = q.get(row * qStride + col) * scale;
                    hi = q.get(row * qStride + col + 1) * scale;
                }
                qf[4 * ks + r] = TensorCore.packBf16(lo, hi);
            }
        }
    }

    /**
     * The first query row of this group's block of {@code bq} rows: causal groups late in the
     * sequence see the most keys, so the grid's first groups take them (a shorter tail).
     */
    static int queryBlockStart(KernelContext ctx, boolean causal, int threads, int bq) {
        return (causal ? ctx.globalGroupSizeX / threads - 1 - ctx.groupIdx : ctx.groupIdx) * bq;
    }

    /** Where query head h's KV head starts in a K or V row (grouped-query attention: nHeads / nKvHeads heads share one). */
    static int kvHeadOffset(int h, int nHeads, int nKvHeads, int headDim) {
        return (h / (nHeads / nKvHeads)) * headDim;
    }

    /** {@link #keyRange} of the query block q0 … q0 + bq − 1 (its rows below nq). */
    static void blockKeyRange(int[] keys, int q0, int bq, int nq, int split, int keysPerSplit, int nKeys, int p, int a,
                              boolean causal) {
        keyRange(keys, q0, KernelMath.min(q0 + bq, nq) - 1, split, keysPerSplit, nKeys, p, a, causal);
    }

    /**
     * The keys a group of query rows q0 … lastRow sees within its split, into {@code keys}: any
     * row sees some of [keys[0], keys[1]), every row all of [keys[2], keys[3]) (tiles inside it
     * need no mask). The prefill kernels share it.
     */
    static void keyRange(int[] keys, int q0, int lastRow, int split, int keysPerSplit, int nKeys, int p, int a,
                         boolean causal) {
        int splitLo = split * keysPerSplit;
        int splitEnd = KernelMath.min(nKeys, splitLo + keysPerSplit);
        keys[0] = splitLo;
        keys[1] = splitEnd;
        keys[2] = splitLo;
        keys[3] = splitEnd;
        if (causal) {
            keys[0] = KernelMath.max(splitLo, lastRow >= a ? 0 : p);
            keys[1] = KernelMath.min(splitEnd, p + lastRow + 1);
            keys[2] = KernelMath.max(splitLo, q0 < a ? p : 0);
            keys[3] = KernelMath.min(splitEnd, p + q0 + 1);
        }
    }

    /** Running max −inf and sum 0 for the lane's two rows (stats[0..1] maxima, stats[2..3] sums). */
    @Unroll
    static void initStats(float[] stats) {
        for (int r = 0; r < 2; r++) {
            stats[r] = Float.NEGATIVE_INFINITY;
            stats[2 + r] = 0.0f;
        }
    }

    /**
     * Starts the copies of key rows [row0, row0 + BKV) of one KV head into the padded shared tile
     * at int index {@code at} (rows past nKeys read as zeros): 16 bytes per copy, THREADS copies
     * at a time. {@link DecodeAttention} fills its tiles (same BKV and THREADS) with it too.
     */
    @Unroll
    static void copyTile(KernelContext ctx, int[] tile, int at, BF16Array src, int row0, int nKeys, int kvStride,
                         int kvOffset, int stride, int headDim) {
        int chunksPerRow = headDim / 8;
        for (int i = 0; i < BKV * chunksPerRow / THREADS; i++) {
            int c = ctx.localIdx + THREADS * i;
            int row = c / chunksPerRow;
            int chunk = c % chunksPerRow;
            int key = row0 + row;
            AsyncCopy.copy16(ctx, tile, at + row * stride + 4 * chunk, src, key * kvStride + kvOffset + 8 * chunk,
                    key < nKeys);
        }
    }

    /** s = Q·Kᵀ for the warp's 16 rows and the tile's BKV keys (in log2 units: Q carries scale·log2 e). */
    @Unroll
    private static void scores(KernelContext ctx, float[] s, int[] qf, int[] kTile, int kAt, int headDim) {
        int stride = stride(headDim);
        int[] kf = new int[4];
        for (int i = 0; i < 4 * (BKV / 8); i++) s[i] = 0.0f;
        for (int ks = 0; ks < headDim / 16; ks++) {
            for (int np = 0; np < BKV / 16; np++) {
                TensorCore.loadMatrixX4(ctx, kf, 0, kTile, kAt + 16 * np * stride + 8 * ks);
                TensorCore.mmaBf16(ctx, s, 8 * np, qf, 4 * ks, kf, 0);
                TensorCore.mmaBf16(ctx, s, 8 * np + 4, qf, 4 * ks, kf, 2);
            }
        }
    }

    /**
     * Sets the scores of keys a row does not see to -inf: outside [keyLo, keyEnd) (the group's
     * range, which holds the split and the sequence end), and with {@code causal} outside
     * [lo, p + row] with lo = p for anchor rows (row &lt; a) and 0 for the others.
     */
    @Unroll
    static void mask(float[] s, int tileKeys, int kt, int row0, int t, int keyLo, int keyEnd, int p, int a, boolean causal) {
        for (int i = 0; i < 4 * (tileKeys / 8); i++) {
            int key = kt + 8 * (i >> 2) + 2 * t + (i & 1);
            int row = row0 + 8 * ((i >> 1) & 1);
            boolean seen = key >= keyLo && key < keyEnd;
            if (causal) seen = seen && key <= p + row && (row >= a || key >= p);
            if (!seen) s[i] = Float.NEGATIVE_INFINITY;
        }
    }

    /**
     * The online softmax step for the lane's two rows: new running max (over the four lanes of a
     * row), O and the running sums rescaled, P = 2^(s - max) packed into A fragments. s holds
     * the scores of {@code tileKeys} keys (a compile-time constant) in the mma.m16n8 accumulator
     * layout, o the headDim outputs in the same layout (also the wgmma layout of one warp).
     */
    @Unroll
    static void softmax(KernelContext ctx, float[] s, float[] o, int[] pf, float[] stats, int tileKeys, int headDim) {
        float[] rescale = new float[2];
        exponentiate(ctx, s, stats, rescale, tileKeys);
        rescale(o, rescale, headDim);
        packP(s, pf, tileKeys);
    }

    /**
     * The part of the softmax step that reads only S and the statistics: the rows' new running
     * maxima, s replaced by 2^(s - max), the running sums rescaled and increased, and the factor
     * O must be rescaled by in {@code rescale[r]} (a pipelined kernel applies it once its P·V
     * product in flight has finished).
     */
    @Unroll
    static void exponentiate(KernelContext ctx, float[] s, float[] stats, float[] rescale, int tileKeys) {
        for (int r = 0; r < 2; r++) {
            float max = stats[r];
            for (int n = 0; n < tileKeys / 8; n++) {
                max = KernelMath.max(max, KernelMath.max(s[4 * n + 2 * r], s[4 * n + 2 * r + 1]));
            }
            max = KernelMath.max(max, ctx.shuffleXor(max, 1));
            max = KernelMath.max(max, ctx.shuffleXor(max, 2));
            // A row that has seen no key yet keeps max -inf: its weights are 0, nothing to rescale.
            float base = max == Float.NEGATIVE_INFINITY ? 0.0f : max;
            rescale[r] = KernelMath.exp2Approx(stats[r] - base);
            stats[r] = max;
            float sum = 0.0f;
            for (int n = 0; n < tileKeys / 8; n++) {
                for (int j = 0; j < 2; j++) {
                    float w = KernelMath.exp2Approx(s[4 * n + 2 * r + j] - base);
                    s[4 * n + 2 * r + j] = w;
                    sum += w;
                }
            }
            stats[2 + r] = stats[2 + r] * rescale[r] + sum;
        }
    }

    /** O's rows times the softmax step's factors (row g by rescale[0], g + 8 by rescale[1]). */
    @Unroll
    static void rescale(float[] o, float[] rescale, int headDim) {
        for (int n = 0; n < headDim / 8; n++) {
            o[4 * n] *= rescale[0];
            o[4 * n + 1] *= rescale[0];
            o[4 * n + 2] *= rescale[1];
            o[4 * n + 3] *= rescale[1];
        }
    }

    /** P rounded to bf16 and packed: S's accumulator layout is P's A layout, keys 16kk.. are n-tiles 2kk and 2kk + 1. */
    @Unroll
    static void packP(float[] s, int[] pf, int tileKeys) {
        for (int kk = 0; kk < tileKeys / 16; kk++) {
            for (int r = 0; r < 4; r++) {
                int at = 4 * (2 * kk + (r >> 1)) + 2 * (r & 1);
                pf[4 * kk + r] = TensorCore.packBf16(s[at], s[at + 1]);
            }
        }
    }

    /** O += P·V for the tile: V (keys × dims) read k-major with ldmatrix.trans. */
    @Unroll
    private static void accumulate(KernelContext ctx, float[] o, int[] pf, int[] vTile, int vAt, int headDim) {
        int stride = stride(headDim);
        int[] vf = new int[4];
        for (int kk = 0; kk < BKV / 16; kk++) {
            for (int dp = 0; dp < headDim / 16; dp++) {
                TensorCore.loadMatrixX4Trans(ctx, vf, 0, vTile, vAt + 16 * kk * stride + 8 * dp);
                TensorCore.mmaBf16(ctx, o, 8 * dp, pf, 4 * kk, vf, 0);
                TensorCore.mmaBf16(ctx, o, 8 * dp + 4, pf, 4 * kk, vf, 2);
            }
        }
    }

    /** ln(sum · 2^max) of a row whose running max (base 2) is max and sum of weights sum; −inf for a row that saw no key. */
    static float lse(float max, float sum) {
        return sum > 0.0f ? (max + KernelMath.log(sum) * LOG2E) * LN2 : Float.NEGATIVE_INFINITY;
    }

    /**
     * {@link #store} with out rounded to bf16 (nearest even, as {@link Convert#toBf16} rounds the
     * fp32 out): {@code outPairs} is a bf16 [nq, nHeads·headDim] array seen as packed pairs, the
     * lane's two neighbouring columns in one word. Key splits are not written this way (split 0
     * only: partial results are merged in fp32).
     */
    @Unroll
    static void storeBf16(KernelContext ctx, I32Array outPairs, F32Array lse, float[] o, float[] stats, int row0, int nq,
                          int nHeads, int h, int t, int headDim) {
        int qStride = nHeads * headDim;
        for (int r = 0; r < 2; r++) {
            float sum = stats[2 + r];
            sum += ctx.shuffleXor(sum, 1);
            sum += ctx.shuffleXor(sum, 2);
            int row = row0 + 8 * r;
            boolean seen = sum > 0.0f;
            float inv = seen ? 1.0f / sum : 0.0f;
            if (row < nq) {
                for (int n = 0; n < headDim / 8; n++) {
                    int at = row * qStride + h * headDim + 8 * n + 2 * t;
                    outPairs.set(at >> 1, TensorCore.packBf16(o[4 * n + 2 * r] * inv, o[4 * n + 2 * r + 1] * inv));
                }
                if (t == 0) {
                    lse.set(row * nHeads + h, lse(stats[r], sum));
                }
            }
        }
    }

    /** out = O / sum and lse = ln(sum · 2^max) for the lane's rows; a row that saw no key gets 0 and -inf. */
    @Unroll
    static void store(KernelContext ctx, F32Array out, F32Array lse, float[] o, float[] stats, int row0, int nq,
                              int nHeads, int h, int split, int t, int headDim) {
        int qStride = nHeads * headDim;
        int outBase = split * nq * qStride;
        int lseBase = split * nq * nHeads;
        for (int r = 0; r < 2; r++) {
            float sum = stats[2 + r];
            sum += ctx.shuffleXor(sum, 1);
            sum += ctx.shuffleXor(sum, 2);
            int row = row0 + 8 * r;
            boolean seen = sum > 0.0f;
            float inv = seen ? 1.0f / sum : 0.0f;
            if (row < nq) {
                for (int n = 0; n < headDim / 8; n++) {
                    int at = outBase + row * qStride + h * headDim + 8 * n + 2 * t;
                    out.set(at, o[4 * n + 2 * r] * inv);
                    out.set(at + 1, o[4 * n + 2 * r + 1] * inv);
                }
                if (t == 0) {
                    lse.set(lseBase + row * nHeads + h, lse(stats[r], sum));
                }
            }
        }
    }
}
