package org.apbj.kernels.lib;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.I64Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.KernelMath;
import org.apbj.kernels.api.TensorCore;
import org.apbj.kernels.api.Unroll;
import org.apbj.kernels.api.WideLoad;

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

    /** Elements of a row each work-item of {@link #rmsNormBf16Wide} holds: two 16-byte loads of x. */
    public static final int WIDE = 8;

    /**
     * {@link #rmsNormBf16} reading x once, in 16-byte loads: work-item i holds elements
     * [8i, 8i + 8) of its row in registers from the sum of squares to the output, reads their
     * weights in one 16-byte load ({@code weightWords}: the bf16 weight seen as longs) and writes
     * four packed bf16 pairs ({@code outPairs}: the bf16 out seen as ints). Same arithmetic per
     * element (x · inv · w); only the order of the sum of squares differs. dim a multiple of 8, at
     * most 8 · {@link #MAX_THREADS}; out is not x. Grid: {@code Grid.groups(rows, threads)} with
     * threads = dim / 8 rounded up to a multiple of 32.
     */
    @Unroll
    public static void rmsNormBf16Wide(KernelContext ctx, I32Array outPairs, int outRow0, F32Array x, int xRow0,
                                       I64Array weightWords, int dim, float eps) {
        int tid = ctx.localIdx;
        float[] warpSums = ctx.allocateFloatLocalArray(MAX_THREADS / 32);
        float[] xs = new float[WIDE];
        boolean active = WIDE * tid < dim;
        int xAt = (xRow0 + ctx.groupIdx) * dim + WIDE * tid;
        float ss = 0.0f;
        if (active) {
            WideLoad.load4(xs, 0, x, xAt);
            WideLoad.load4(xs, 4, x, xAt + 4);
            for (int e = 0; e < WIDE; e++) ss = KernelMath.fma(xs[e], xs[e], ss);
        }
        float inv = KernelMath.rsqrt(groupSum(ctx, warpSums, ss) / dim + eps);
        if (active) {
            long[] w = new long[2];
            WideLoad.load2(w, 0, weightWords, 2 * tid);
            int outAt = ((outRow0 + ctx.groupIdx) * dim + WIDE * tid) >> 1;
            for (int e = 0; e < WIDE / 2; e++) {
                int bits = (int) (w[e >> 1] >>> (32 * (e & 1)));
                float w0 = Float.intBitsToFloat(bits << 16);
                float w1 = Float.intBitsToFloat(bits & 0xffff0000);
                outPairs.set(outAt + e, TensorCore.packBf16(xs[2 * e] * inv * w0, xs[2 * e + 1] * inv * w1));
            }
        }
    }

    /** The sum of every work-item's {@code v}, known to every work-item (a loop over the warps: not unrolled). */
    private static float groupSum(KernelContext ctx, float[] warpSums, float v) {
        int tid = ctx.localIdx;
        v = ctx.warpReduceSum(v);
        if ((tid & 31) == 0) warpSums[tid >> 5] = v;
        ctx.localBarrier();
        float total = 0.0f;
        for (int wi = 0; wi < ctx.localGroupSizeX >> 5; wi++) total += warpSums[wi];
        return total;
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
