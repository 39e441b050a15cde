package org.apbj.kernels.lib;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.Constant;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.KernelMath;

/**
 * The same product as {@link Gemm} for a few rows (decoding, the LM head on the last
 * position): {@code y[rows, n] = x[rows, k] · Wᵀ (+ bias) (+ y)}, memory-bound on W, so one
 * warp per output column streams that column's weight row once for all rows. Grid: 1-D,
 * {@code Grid.groups(ceil(n / WARPS), THREADS)}; rows ≤ {@link #MAX_ROWS}.
 */
public final class Matvec {
    private Matvec() {}

    public static final int THREADS = 256;
    public static final int WARPS = THREADS / KernelContext.WARP_SIZE;
    public static final int MAX_ROWS = 8;

    /** fp32 output, optional bias, optional accumulate into y. */
    public static void matvec(KernelContext ctx, F32Array y, int yRow0, F32Array x, int xRow0, BF16Array w,
                              BF16Array bias, int n, int k, @Constant int rows,
                              @Constant boolean hasBias, @Constant boolean accumulate) {
        columns(ctx, y, w, false, yRow0, x, xRow0, w, bias, n, k, rows, hasBias, accumulate);
    }

    /** bf16 output (k and v of a decoded token), optional bias. */
    public static void matvecBf16Out(KernelContext ctx, BF16Array y, int yRow0, F32Array x, int xRow0, BF16Array w,
                                     BF16Array bias, int n, int k, @Constant int rows, @Constant boolean hasBias) {
        columns(ctx, x, y, true, yRow0, x, xRow0, w, bias, n, k, rows, hasBias, false);
    }

    static void columns(KernelContext ctx, F32Array yF32, BF16Array yBf16, boolean bf16Out, int yRow0,
                        F32Array x, int xRow0, BF16Array w, BF16Array bias, int n, int k, int rows,
                        boolean hasBias, boolean accumulate) {
        int lane = ctx.localIdx & 31;
        int col = ctx.groupIdx * WARPS + (ctx.localIdx >> 5);
        float[] acc = new float[MAX_ROWS];
        for (int r = 0; r < MAX_ROWS; r++) acc[r] = 0.0f;
        // Columns past n (the last group's spare warps) load nothing and store nothing but still
        // take part in the reductions: OpenCL emulates warp exchanges with group barriers, which
        // every work-item of the group must reach.
        boolean live = col < n;
        if (live) {
            int wBase = col * k;
            for (int c = lane; c < k; c += 32) {
                float wv = w.getFloat(wBase + c);
                for (int r = 0; r < rows; r++) acc[r] = KernelMath.fma(wv, x.get((xRow0 + r) * k + c), acc[r]);
            }
        }
        for (int r = 0; r < rows; r++) {
            float sum = ctx.warpReduceSum(acc[r]);
            if (live && lane == 0) {
                if (hasBias) sum += bias.getFloat(col);
                int at = (yRow0 + r) * n + col;
                if (bf16Out) {
                    yBf16.setFloat(at, sum);
                } else {
                    if (accumulate) sum += yF32.get(at);
                    yF32.set(at, sum);
                }
            }
        }
    }
}
