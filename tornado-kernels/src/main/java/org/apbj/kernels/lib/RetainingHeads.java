package org.apbj.kernels.lib;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.KernelMath;

/**
 * Retaining-head (Locret) scores, per token and KV head:
 * {@code s = W2 · silu(W1 · concat(q, k, v))} with q, k, v the pre-RoPE projections, W1 BF16
 * [R, (nH + 2·nKv)·d], W2 BF16 [nKv, R], no biases; then a max-pool along the sequence
 * (window 5, padding 2, stride 1). Three launches: {@link #retainingHidden} (a tiled GEMM that
 * reads the concatenation in place), {@link #retainingOut}, {@link #maxPool5}.
 */
public final class RetainingHeads {
    private RetainingHeads() {}

    public static final int POOL_RADIUS = 2;
    public static final int OUT_THREADS = 256;

    /**
     * {@code hidden[t, :] = silu(concat(q[t], k[kvRow + t], v[kvRow + t]) · W1ᵀ)}, t &lt; n; q has
     * rows of qDim fp32 values, k and v rows of kvDim bf16 values; hidden F32 [n, r]. Grid as
     * {@link Gemm}: {@code Grid.of(ceil(r/BN)·THREADS, ceil(n/BM), THREADS, 1)}.
     */
    public static void retainingHidden(KernelContext ctx, F32Array hidden, F32Array q, BF16Array k, BF16Array v,
                                       int kvRow, BF16Array w1, int n, int r, int qDim, int kvDim) {
        Gemm.tiled(ctx, hidden, w1, false, q, k, v, Gemm.SOURCE_QKV, 0, qDim, kvDim, kvRow, w1, w1, false, false, true,
                0, n, r, qDim + 2 * kvDim);
    }

    /**
     * {@code scores[t, h] = hidden[t, :] · W2[h, :]}: one warp per token. Grid: 1-D,
     * {@code Grid.groups(ceil(n / (OUT_THREADS/32)), OUT_THREADS)}.
     */
    public static void retainingOut(KernelContext ctx, F32Array scores, F32Array hidden, BF16Array w2,
                                    int n, int r, int nKv) {
        int lane = ctx.localIdx & 31;
        int t = ctx.groupIdx * (OUT_THREADS / 32) + (ctx.localIdx >> 5);
        // Tokens past n (spare warps of the last group) still reach the reductions: OpenCL
        // emulates warp exchanges with group barriers, which the whole group must reach.
        boolean live = t < n;
        for (int h = 0; h < nKv; h++) {
            float acc = 0.0f;
            if (live) {
                for (int c = lane; c < r; c += 32) acc = KernelMath.fma(hidden.get(t * r + c), w2.getFloat(h * r + c), acc);
            }
            acc = ctx.warpReduceSum(acc);
            if (live && lane == 0) scores.set(t * nKv + h, acc);
        }
    }

    /**
     * {@code out[t, h] = max(s[t−2 .. t+2, h])} within [0, n) (max_pool1d, kernel 5, padding 2,
     * stride 1); out must not be s. Grid: 1-D, any size (grid-stride loop).
     */
    public static void maxPool5(KernelContext ctx, F32Array out, F32Array s, int n, int nKv) {
        int total = n * nKv;
        for (int e = ctx.globalIdx; e < total; e += ctx.globalGroupSizeX) {
            int t = e / nKv;
            int h = e - t * nKv;
            int from = KernelMath.max(t - POOL_RADIUS, 0);
            int to = KernelMath.min(t + POOL_RADIUS, n - 1);
            float best = s.get(from * nKv + h);
            for (int u = from + 1; u <= to; u++) best = KernelMath.max(best, s.get(u * nKv + h));
            out.set(e, best);
        }
    }
}
