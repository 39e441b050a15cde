package org.apbj.kernels.lib;

import org.apbj.kernels.api.Constant;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.KernelMath;

/**
 * Exact merge of two partial attention results over disjoint key sets (APB-SPEC.md, phase 2
 * and ring attention), in the stable sigmoid form:
 * {@code out = outA − sigmoid(lseB − lseA)·(outA − outB)},
 * {@code lse = max(lseA, lseB) + log1p(exp(−|lseB − lseA|))}. A side with lse = −inf (it saw no
 * key) contributes nothing; both −inf leaves out = outA and lse = −inf.
 */
public final class LseMerge {
    private LseMerge() {}

    /**
     * (outA, lseA) ← merge((outA, lseA), (outB, lseB)) for rows [0, nq): out F32 [nq, nHeads·d],
     * lse F32 [nq, nHeads]. One work-item per (row, head), so the lse it rewrites is read by no
     * one else. Grid: 1-D, any size (grid-stride loop).
     */
    public static void mergeAttention(KernelContext ctx, F32Array outA, F32Array lseA, F32Array outB, F32Array lseB,
                                      int nq, int nHeads, @Constant int headDim) {
        int total = nq * nHeads;
        for (int e = ctx.globalIdx; e < total; e += ctx.globalGroupSizeX) {
            float la = lseA.get(e);
            float lb = lseB.get(e);
            int base = e * headDim;   // (row, head) blocks are contiguous: row·nHeads·d + head·d
            if (lb == Float.NEGATIVE_INFINITY) continue;
            if (la == Float.NEGATIVE_INFINITY) {
                for (int c = 0; c < headDim; c++) outA.set(base + c, outB.get(base + c));
                lseA.set(e, lb);
                continue;
            }
            float diff = lb - la;
            float weightB = sigmoid(diff);
            for (int c = 0; c < headDim; c++) {
                float oa = outA.get(base + c);
                outA.set(base + c, oa - weightB * (oa - outB.get(base + c)));
            }
            lseA.set(e, KernelMath.max(la, lb) + log1p(KernelMath.exp(-KernelMath.abs(diff))));
        }
    }

    /** 1 / (1 + e^-x) without overflow for either sign. */
    static float sigmoid(float x) {
        if (x >= 0.0f) return 1.0f / (1.0f + KernelMath.exp(-x));
        float ex = KernelMath.exp(x);
        return ex / (1.0f + ex);
    }

    /** log(1 + x) for x in [0, 1], accurate for tiny x: log(u)·x/(u − 1) with u = 1 + x. */
    static float log1p(float x) {
        float u = 1.0f + x;
        if (u == 1.0f) return x;
        return KernelMath.log(u) * (x / (u - 1.0f));
    }
}
