package org.apbj.kernels.jit;

import java.util.function.IntUnaryOperator;
import org.apbj.kernels.api.Constant;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.KernelContext;

/**
 * Kernels the compiler must reject. Each rejected line carries a "rejected:" marker comment
 * naming its kernel; {@link CompileErrorsTest} checks the reported source line against it.
 */
@SuppressWarnings("unused")
public final class RejectedKernels {
    private RejectedKernels() {}

    static int counter;

    public static void allocatesObject(KernelContext ctx, I32Array out) {
        Object o = new Object(); // rejected: allocatesObject
        out.set(0, 1);
    }

    public static void writesContextField(KernelContext ctx, I32Array out) {
        ctx.globalIdx = 3; // rejected: writesContextField
        out.set(0, 1);
    }

    public static void callsArrayMethod(KernelContext ctx, F32Array out) {
        out.fill(1f); // rejected: callsArrayMethod
    }

    public static void catchesException(KernelContext ctx, I32Array out, I32Array in) {
        int i = ctx.globalIdx;
        try {
            out.set(i, in.get(i)); // rejected: catchesException
        } catch (RuntimeException e) {
            out.set(i, -1);
        }
    }

    private static int factorial(int n) {
        return n <= 1 ? 1 : n * factorial(n - 1); // rejected: recursive
    }

    public static void recursive(KernelContext ctx, I32Array out) {
        out.set(0, factorial(ctx.globalIdx));
    }

    public static void dynamicArray(KernelContext ctx, F32Array out, int n) {
        float[] tmp = new float[n]; // rejected: dynamicArray
        out.set(0, tmp[0]);
    }

    public static void concatenatesStrings(KernelContext ctx, I32Array out) {
        int i = ctx.globalIdx;
        String s = "item " + i; // rejected: concatenatesStrings
        out.set(i, s.length());
    }

    public static void usesLambda(KernelContext ctx, I32Array out) {
        IntUnaryOperator f = x -> x + 1; // rejected: usesLambda
        out.set(0, f.applyAsInt(1));
    }

    public static void readsMutableStatic(KernelContext ctx, I32Array out) {
        out.set(0, counter); // rejected: readsMutableStatic
    }

    public static void writesStatic(KernelContext ctx, I32Array out) {
        counter = ctx.globalIdx; // rejected: writesStatic
    }

    public static void asksArraySize(KernelContext ctx, F32Array out) {
        out.set(0, out.size()); // rejected: asksArraySize
    }

    public static void sharedArrayOfVariableSize(KernelContext ctx, F32Array out, int n) {
        float[] s = ctx.allocateFloatLocalArray(n); // rejected: sharedArrayOfVariableSize
        out.set(0, s[0]);
    }

    public static void callsUnsupportedMath(KernelContext ctx, F32Array out) {
        out.set(0, (float) Math.random()); // rejected: callsUnsupportedMath
    }

    public static void doubleExpOnPtx(KernelContext ctx, F32Array out, F32Array in) {
        double d = in.get(0);
        out.set(0, (float) (Math.exp(d) * 2.0)); // rejected: doubleExpOnPtx
    }

    private static int helperWithObject(int v) {
        StringBuilder sb = new StringBuilder(); // rejected: inlinedHelper
        return v;
    }

    public static void inlinedHelper(KernelContext ctx, I32Array out) {
        out.set(0, helperWithObject(ctx.globalIdx));
    }

    public static void noContext(I32Array out) {
        out.set(0, 1);
    }

    public static void constantWithoutValue(KernelContext ctx, F32Array out, @Constant int tile) {
        out.set(0, tile);
    }

    @org.apbj.kernels.api.Unroll
    private static float sumRuntimeCount(F32Array in, int n) {
        float sum = 0.0f;
        for (int i = 0; i < n; i++) { // rejected: unrollsRuntimeLoop
            sum += in.get(i);
        }
        return sum;
    }

    public static void unrollsRuntimeLoop(KernelContext ctx, F32Array out, int n) {
        out.set(0, sumRuntimeCount(out, n));
    }

    public static void callsUnknownIntrinsic(KernelContext ctx, F32Array out) {
        float[] acc = new float[4];
        FakeIntrinsics.mmaRenamed(ctx, acc); // rejected: callsUnknownIntrinsic
        out.set(0, acc[0]);
    }

    public static void asyncCopyIntoPrivate(KernelContext ctx, F32Array out, org.apbj.kernels.api.BF16Array src) {
        int[] wrong = new int[2];
        org.apbj.kernels.api.AsyncCopy.copy8(ctx, wrong, 0, src, 0, true); // rejected: asyncCopyIntoPrivate
        out.set(0, wrong[0]);
    }

    public static void wideLoadVariableOffset(KernelContext ctx, F32Array out, F32Array src, int at) {
        float[] f = new float[8];
        org.apbj.kernels.api.WideLoad.load4(f, at, src, 0); // rejected: wideLoadVariableOffset
        out.set(0, f[0]);
    }

    public static void wideLoadMisaligned(KernelContext ctx, F32Array out, F32Array src) {
        float[] f = new float[4];
        org.apbj.kernels.api.WideLoad.load4(f, 0, src, 6); // rejected: wideLoadMisaligned
        out.set(0, f[0]);
    }
}
