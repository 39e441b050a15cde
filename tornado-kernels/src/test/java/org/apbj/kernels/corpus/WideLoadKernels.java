package org.apbj.kernels.corpus;

import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I64Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.Unroll;
import org.apbj.kernels.api.WideLoad;

/**
 * Corpus: WideLoad's 16-byte loads (ld.global.nc.v2.u64 / v4.f32, vload2 / vload4). Work-item i
 * loads the pairs 2i and 2(n − 1 − i) of longs and the quads 4i and 4(n − 1 − i) of floats into
 * one private array each, at constant offsets from an unrolled loop, and writes them out mixed
 * (sums, xors, swapped halves), so an element loaded into the wrong register, or from the wrong
 * address, changes the output. The inputs are random bit patterns (NaN payloads included for the
 * floats, which are only moved, never computed with).
 */
public final class WideLoadKernels {
    private WideLoadKernels() {}

    public static void wideLoads(KernelContext ctx, I64Array longsOut, F32Array floatsOut, I64Array longs, F32Array floats, int n) {
        int i = ctx.globalIdx;
        if (i >= n) return;
        long[] l = new long[4];
        float[] f = new float[8];
        loadBoth(l, f, longs, floats, i, n - 1 - i);
        longsOut.set(4 * i, l[1]);
        longsOut.set(4 * i + 1, l[0]);
        longsOut.set(4 * i + 2, l[2] ^ (l[3] << 7));
        longsOut.set(4 * i + 3, l[3] - l[0]);
        for (int j = 0; j < 8; j++) floatsOut.set(8 * i + j, f[7 - j]);
    }

    @Unroll
    private static void loadBoth(long[] l, float[] f, I64Array longs, F32Array floats, int a, int b) {
        for (int s = 0; s < 2; s++) {
            int at = s == 0 ? a : b;
            WideLoad.load2(l, 2 * s, longs, 2 * at);
            WideLoad.load4(f, 4 * s, floats, 4 * at);
        }
    }
}
