package org.apbj.kernels.lib;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.KernelMath;

/** RMSNorm in fp32: {@code out = x / sqrt(mean(x²) + eps) · weight}. */
public final class RmsNorm {
    private RmsNorm() {}

    /** Largest group: 1024 work-items = 32 warps, one partial sum each. */
    public static final int MAX_THREADS = 1024;

    /**
     * One group per row: row {@code xRow0 + g} of x into row {@code outRow0 + g} of out (out may
     * be x itself). Grid: {@code Grid.groups(rows, threads)} with threads a multiple of 32, at
     * most {@link #MAX_THREADS}.
     */
    public static void rmsNorm(KernelContext ctx, F32Array out, int outRow0, F32Array x, int xRow0,
                               BF16Array weight, int dim, float eps) {
        float inv = inverseRms(ctx, x, xRow0, dim, eps);
        int xBase = (xRow0 + ctx.groupIdx) * dim;
        int outBase = (outRow0 + ctx.groupIdx) * dim;
        for (int c = ctx.localIdx; c < dim; c += ctx.localGroupSizeX) {
            out.set(outBase + c, x.get(xBase + c) * inv * weight.getFloat(c));
        }
    }

    /** As {@link #rmsNorm} with the result rounded to bf16: the input of the bf16-activation GEMMs. */
    public static void rmsNormBf16(KernelContext ctx, BF16Array out, int outRow0, F32Array x, int xRow0,
                                   BF16Array weight, int dim, float eps) {
        float inv = inverseRms(ctx, x, xRow0, dim, eps);
        int xBase = (xRow0 + ctx.groupIdx) * dim;
        int outBase = (outRow0 + ctx.groupIdx) * dim;
        for (int c = ctx.localIdx; c < dim; c += ctx.localGroupSizeX) {
            out.setFloat(outBase + c, x.get(xBase + c) * inv * weight.getFloat(c));
        }
    }

    /** 1 / sqrt(mean(x²) + eps) of this group's row, known to every work-item. */
    private static float inverseRms(KernelContext ctx, F32Array x, int xRow0, int dim, float eps) {
        int tid = ctx.localIdx;
        int threads = ctx.localGroupSizeX;
        float[] warpSums = ctx.allocateFloatLocalArray(MAX_THREADS / 32);
        int xBase = (xRow0 + ctx.groupIdx) * dim;
        float ss = 0.0f;
        for (int c = tid; c < dim; c += threads) {
            float v = x.get(xBase + c);
            ss = KernelMath.fma(v, v, ss);
        }
        ss = ctx.warpReduceSum(ss);
        if ((tid & 31) == 0) warpSums[tid >> 5] = ss;
        ctx.localBarrier();
        float total = 0.0f;
        for (int wi = 0; wi < threads >> 5; wi++) total += warpSums[wi];
        return KernelMath.rsqrt(total / dim + eps);
    }
}
