package org.apbj.kernels.bench;

import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.KernelContext;

/** The Java kernels the runtime benchmark compiles (counterparts of {@link BenchPtx}). */
public final class BenchKernels {
    private BenchKernels() {}

    public static void saxpy(KernelContext ctx, F32Array y, F32Array x, float a, int n) {
        int i = ctx.globalIdx;
        if (i < n) y.set(i, a * x.get(i) + y.get(i));
    }

    public static void empty(KernelContext ctx) {}
}
