package org.apbj.kernels.lib;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.Constant;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.I64Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.KernelMath;
import org.apbj.kernels.api.TensorCore;
import org.apbj.kernels.api.Unroll;

/**
 * Retaining-head (Locret) scores, per token and KV head:
 * {@code s = W2 · silu(W1 · concat(q, k, v))} with q, k, v the pre-RoPE projections, W1 BF16
 * [R, (nH + 2·nKv)·d], W2 BF16 [nKv, R], no biases; then a max-pool along the sequence
 * (window 5, padding 2, stride 1).
 *
 * <p>The first product holds nearly all the work (2·n·R·(nH + 2·nKv)·d FLOPs against 2·n·R·nKv for
 * the second), so it runs on the library's GEMMs: on devices with the bf16-input GEMM
 * ({@link GemmWgmma}) {@link #packInput} writes the concatenation once as bf16 (q rounded, k and
 * v copied) and the GEMM writes the hidden layer before SiLU; elsewhere {@link #retainingHidden}
 * (the fp32 {@link Gemm}) reads the concatenation in place and applies SiLU in its epilogue.
 * Either way {@link #retainingPool} then does SiLU (when still due), the W2 product and the
 * max-pool in one launch.
 */
public final class RetainingHeads {
    private RetainingHeads() {}

    public static final int POOL_RADIUS = 2;
    /** Tokens whose pooled scores one group of {@link #retainingPool} writes. */
    public static final int POOL_TILE = 64;
    public static final int POOL_THREADS = 256;
    /** Raw-score rows a pool group computes: its tile and the window's reach on both sides. */
    static final int POOL_ROWS = POOL_TILE + 2 * POOL_RADIUS;
    private static final int POOL_WARPS = POOL_THREADS / 32;
    /** Rows per warp, the same for every warp (warp exchanges must be reached by the whole group on OpenCL). */
    private static final int POOL_ROUNDS = (POOL_ROWS + POOL_WARPS - 1) / POOL_WARPS;
    /** KV heads {@link #retainingPool} takes (the width of its raw-score tile in shared memory). */
    public static final int MAX_KV_HEADS = 16;

    /**
     * {@code hidden[t, :] = silu(concat(q[t], k[kvRow + t], v[kvRow + t]) · W1ᵀ)}, t &lt; n; q has
     * rows of qDim fp32 values, k and v rows of kvDim bf16 values; hidden F32 [n, r]. The fp32
     * path (every device). Grid as {@link Gemm}: {@code Grid.of(ceil(r/BN)·THREADS, ceil(n/BM), THREADS, 1)}.
     */
    public static void retainingHidden(KernelContext ctx, F32Array hidden, F32Array q, BF16Array k, BF16Array v,
                                       int kvRow, BF16Array w1, int n, int r, int qDim, int kvDim) {
        Gemm.tiled(ctx, hidden, w1, false, q, k, v, Gemm.SOURCE_QKV, 0, qDim, kvDim, kvRow, w1, w1, false, false, true,
                0, n, r, qDim + 2 * kvDim);
    }

    /**
     * Row t &lt; n of x (BF16 [n, qDim + 2·kvDim], seen as bf16 pairs) ← [bf16(q[t]) | k[kvRow + t] |
     * v[kvRow + t]]: the input of the bf16 GEMM. q (F32 [n, qDim]) is read as float pairs and k, v
     * (BF16) as bf16 pairs, so qDim and kvDim are even. Grid: 1-D, any size (grid-stride loop).
     */
    public static void packInput(KernelContext ctx, I32Array x, I64Array q, I32Array k, I32Array v, int kvRow, int n,
                                 int qDim, int kvDim) {
        int qPairs = qDim >> 1;
        int kvPairs = kvDim >> 1;
        int rowPairs = qPairs + 2 * kvPairs;
        int total = n * rowPairs;
        for (int p = ctx.globalIdx; p < total; p += ctx.globalGroupSizeX) {
            int t = p / rowPairs;
            int c = p - t * rowPairs;
            int pair;
            if (c < qPairs) {
                long two = q.get(t * qPairs + c);
                pair = TensorCore.packBf16(Float.intBitsToFloat((int) two), Float.intBitsToFloat((int) (two >>> 32)));
            } else if (c < qPairs + kvPairs) {
                pair = k.get((kvRow + t) * kvPairs + c - qPairs);
            } else {
                pair = v.get((kvRow + t) * kvPairs + c - qPairs - kvPairs);
            }
            x.set(p, pair);
        }
    }

    /**
     * {@code scores[t, h] = max over u in [t − 2, t + 2] ∩ [0, n) of a(hidden[u, :]) · W2[h, :]} with
     * a = SiLU when {@code silu} (the hidden layer still before its activation), else the identity:
     * the second product and the max-pool (max_pool1d, kernel 5, padding 2, stride 1) in one pass.
     * A group computes the raw scores of its {@link #POOL_TILE} tokens and of the two on either
     * side (a warp per token, the nKv sums in registers), keeps them in shared memory and pools
     * them. nKv ≤ {@link #MAX_KV_HEADS}. Grid: {@code Grid.groups(ceil(n / POOL_TILE), POOL_THREADS)}.
     */
    public static void retainingPool(KernelContext ctx, F32Array scores, F32Array hidden, BF16Array w2, int n, int r,
                                     @Constant int nKv, @Constant boolean silu) {
        int lane = ctx.localIdx & 31;
        int warp = ctx.localIdx >> 5;
        float[] raw = ctx.allocateFloatLocalArray(POOL_ROWS * MAX_KV_HEADS);
        int first = ctx.groupIdx * POOL_TILE - POOL_RADIUS;   // the token of raw row 0
        float[] acc = new float[nKv];
        for (int round = 0; round < POOL_ROUNDS; round++) {
            int i = round * POOL_WARPS + warp;
            int t = first + i;
            boolean live = i < POOL_ROWS && t >= 0 && t < n;
            clear(acc, nKv);
            if (live) {
                for (int c = lane; c < r; c += 32) {
                    float x = hidden.get(t * r + c);
                    if (silu) x = KernelMath.silu(x);
                    accumulate(acc, x, w2, c, r, nKv);
                }
            }
            // Rows outside [0, n) are the pool's padding: −inf never wins a max.
            reduceInto(ctx, raw, i * MAX_KV_HEADS, acc, live, i < POOL_ROWS && lane == 0, nKv);
        }
        ctx.localBarrier();
        for (int e = ctx.localIdx; e < POOL_TILE * nKv; e += POOL_THREADS) {
            int tt = e / nKv;
            int h = e - tt * nKv;
            int t = first + POOL_RADIUS + tt;
            if (t < n) {
                float best = raw[tt * MAX_KV_HEADS + h];
                for (int u = 1; u <= 2 * POOL_RADIUS; u++) best = KernelMath.max(best, raw[(tt + u) * MAX_KV_HEADS + h]);
                scores.set(t * nKv + h, best);
            }
        }
    }

    @Unroll
    private static void clear(float[] acc, int nKv) {
        for (int h = 0; h < nKv; h++) acc[h] = 0.0f;
    }

    @Unroll
    private static void accumulate(float[] acc, float x, BF16Array w2, int c, int r, int nKv) {
        for (int h = 0; h < nKv; h++) acc[h] = KernelMath.fma(x, w2.getFloat(h * r + c), acc[h]);
    }

    /** Sums each head's lanes and, on the writing lane, stores the raw score (−inf for padding rows). */
    @Unroll
    private static void reduceInto(KernelContext ctx, float[] raw, int at, float[] acc, boolean live, boolean writes,
                                   int nKv) {
        for (int h = 0; h < nKv; h++) {
            float s = ctx.warpReduceSum(acc[h]);
            if (writes) raw[at + h] = live ? s : Float.NEGATIVE_INFINITY;
        }
    }
}
