package org.apbj.kernels.corpus;

import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.KernelMath;

/** Corpus: KernelMath and java.lang.Math functions. */
public final class MathKernels {
    private MathKernels() {}

    public static void expLog(KernelContext ctx, F32Array out, F32Array a) {
        int i = ctx.globalIdx;
        float x = a.get(i);
        out.set(3 * i, KernelMath.exp(x));
        out.set(3 * i + 1, KernelMath.log(x));
        out.set(3 * i + 2, (float) Math.exp(x * 0.5f));
    }

    public static void tanhSilu(KernelContext ctx, F32Array out, F32Array a) {
        int i = ctx.globalIdx;
        float x = a.get(i);
        out.set(2 * i, KernelMath.tanh(x));
        out.set(2 * i + 1, KernelMath.silu(x));
    }

    public static void sqrtRsqrt(KernelContext ctx, F32Array out, F32Array a) {
        int i = ctx.globalIdx;
        float x = a.get(i);
        out.set(3 * i, KernelMath.sqrt(x));
        out.set(3 * i + 1, KernelMath.rsqrt(x));
        out.set(3 * i + 2, (float) Math.sqrt(x));
    }

    public static void power(KernelContext ctx, F32Array out, F32Array x, F32Array y) {
        int i = ctx.globalIdx;
        out.set(i, KernelMath.pow(x.get(i), y.get(i)));
    }

    /** min/max with NaN and signed zeros, abs, floor, ceil, fma: all exact. */
    public static void minMaxAbs(KernelContext ctx, F32Array out, F32Array a, F32Array b) {
        int i = ctx.globalIdx;
        float x = a.get(i), y = b.get(i);
        out.set(7 * i, Math.min(x, y));
        out.set(7 * i + 1, KernelMath.max(x, y));
        out.set(7 * i + 2, Math.abs(x));
        out.set(7 * i + 3, KernelMath.floor(x));
        out.set(7 * i + 4, KernelMath.ceil(y));
        out.set(7 * i + 5, Math.fma(x, y, 1.5f));
        out.set(7 * i + 6, (float) Math.floor(y));
    }

    /**
     * maxNum: a NaN operand yields the other (NaN and infinities among the edge inputs); + 0.0
     * makes -0.0 +0.0, where the device may return either zero.
     */
    public static void maxNumbers(KernelContext ctx, F32Array out, F32Array a, F32Array b) {
        int i = ctx.globalIdx;
        float x = a.get(i), y = b.get(i);
        out.set(2 * i, KernelMath.maxNum(x, y) + 0.0f);
        out.set(2 * i + 1, KernelMath.maxNum(Float.NEGATIVE_INFINITY, x) + 0.0f);
    }

    public static void intMinMax(KernelContext ctx, org.apbj.kernels.api.I32Array out, org.apbj.kernels.api.I32Array a,
                                 org.apbj.kernels.api.I32Array b) {
        int i = ctx.globalIdx;
        int x = a.get(i), y = b.get(i);
        out.set(3 * i, Math.min(x, y));
        out.set(3 * i + 1, KernelMath.max(x, y));
        out.set(3 * i + 2, Math.abs(x) + KernelMath.abs(y));
    }

    /** A softmax row: max, exp, sum, divide; one work-item per row (loops over the row). */
    public static void softmaxRows(KernelContext ctx, F32Array out, F32Array in, int cols) {
        int row = ctx.globalIdx;
        float m = Float.NEGATIVE_INFINITY;
        for (int c = 0; c < cols; c++) m = Math.max(m, in.get(row * cols + c));
        float sum = 0f;
        for (int c = 0; c < cols; c++) {
            float e = KernelMath.exp(in.get(row * cols + c) - m);
            out.set(row * cols + c, e);
            sum += e;
        }
        float inv = 1f / sum;
        for (int c = 0; c < cols; c++) out.set(row * cols + c, out.get(row * cols + c) * inv);
    }
}
