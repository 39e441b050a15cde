package org.apbj.kernels.lib;

import org.apbj.kernels.testing.TestSeed;

import static org.apbj.kernels.lib.LibTesting.*;

import java.util.Random;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Device;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The log-sum-exp merge: merging the attention over two disjoint key sets equals the attention
 * over their union; rows where one or both sides saw no key (lse = −inf) stay finite.
 */
@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class LseMergeTest {

    static Iterable<Backend> backends() { return LibTesting.backends(); }

    /**
     * Partial results from an fp64 reference, rounded to fp32, merged by the kernel and compared
     * with the fp64 attention over all keys. Error: the inputs' fp32 rounding (u relative) plus
     * a few fp32 operations: 1e-6 absolute for |out| ≲ 3 and |lse| ≲ 10.
     */
    @ParameterizedTest
    @MethodSource("backends")
    void mergeOfDisjointKeySetsEqualsAttentionOverTheUnion(Backend backend) {
        Random r = random("mergeOfDisjointKeySetsEqualsAttentionOverTheUnion " + backend);
        Device d = device(backend);
        int nq = 13, nH = 3, hd = 16, keys = 40;
        double[][] logits = new double[nq * nH][keys];
        double[][] values = new double[keys][hd];
        boolean[] inA = new boolean[keys];
        for (int key = 0; key < keys; key++) {
            inA[key] = r.nextBoolean();
            for (int c = 0; c < hd; c++) values[key][c] = r.nextGaussian();
        }
        for (double[] row : logits) for (int key = 0; key < keys; key++) row[key] = r.nextGaussian() * 4;
        // row 0: A sees nothing; row 1: B sees nothing; row 2: neither sees anything.
        float[] outA = new float[nq * nH * hd], outB = new float[nq * nH * hd];
        float[] lseA = new float[nq * nH], lseB = new float[nq * nH];
        double[] wantOut = new double[nq * nH * hd];
        double[] wantLse = new double[nq * nH];
        for (int e = 0; e < nq * nH; e++) {
            int row = e / nH;
            boolean aEmpty = row == 0 || row == 2, bEmpty = row == 1 || row == 2;
            lseA[e] = (float) partial(logits[e], values, inA, true, aEmpty, outA, e * hd);
            lseB[e] = (float) partial(logits[e], values, inA, false, bEmpty, outB, e * hd);
            boolean[] all = new boolean[keys];
            for (int key = 0; key < keys; key++) all[key] = inA[key] ? !aEmpty : !bEmpty;
            double[] o = new double[hd];
            wantLse[e] = attend(logits[e], values, all, o);
            for (int c = 0; c < hd; c++) wantOut[e * hd + c] = row == 2 ? 0 : o[c];
        }
        F32Array oa = f32(d, outA), la = f32(d, lseA);
        ops(backend).mergeAttention(oa, la, f32(d, outB), f32(d, lseB), nq, nH, hd);
        d.synchronize();
        assertClose("merged out on " + backend, wantOut, read(d, oa), constant(wantOut.length, 1e-6));
        // lse reaches ~16 here (logits of sd 4 over 40 keys): a few fp32 roundings of the result
        // itself (4 ulp = |lse|·2^-21) on top of the 1e-6 of the operations.
        double[] lseTol = new double[wantLse.length];
        for (int i = 0; i < lseTol.length; i++) lseTol[i] = 1e-6 + Math.abs(wantLse[i]) * 0x1p-21;
        assertClose("merged lse on " + backend, wantLse, read(d, la), lseTol);
    }

    /**
     * The kernels together, as ring attention uses them: non-causal attention over keys
     * [0, s) and over [s, n), merged, equals non-causal attention over [0, n).
     */
    @ParameterizedTest
    @MethodSource("backends")
    void attentionOverSplitKeysMergesToFullAttention(Backend backend) {
        Random r = random("attentionOverSplitKeysMergesToFullAttention " + backend);
        Device d = device(backend);
        KernelOps ops = ops(backend);
        int nq = 21, nH = 4, nKv = 2, hd = 64, split = 45, keys = 110;
        float[] q = gaussians(r, nq * nH * hd, 0.9);
        float[] k = bf16Gaussians(r, keys * nKv * hd, 0.35);
        float[] v = bf16Gaussians(r, keys * nKv * hd, 1.0);
        float[] k1 = java.util.Arrays.copyOfRange(k, 0, split * nKv * hd);
        float[] v1 = java.util.Arrays.copyOfRange(v, 0, split * nKv * hd);
        float[] k2 = java.util.Arrays.copyOfRange(k, split * nKv * hd, k.length);
        float[] v2 = java.util.Arrays.copyOfRange(v, split * nKv * hd, v.length);
        F32Array qd = f32(d, q);
        F32Array full = d.allocF32((long) nq * nH * hd), fullLse = d.allocF32((long) nq * nH);
        F32Array o1 = d.allocF32((long) nq * nH * hd), l1 = d.allocF32((long) nq * nH);
        F32Array o2 = d.allocF32((long) nq * nH * hd), l2 = d.allocF32((long) nq * nH);
        BF16Array kAll = bf16(d, k), vAll = bf16(d, v);
        ops.attention(qd, nq, kAll, vAll, 0, 0, keys, false, nH, nKv, hd, full, fullLse);
        ops.attention(qd, nq, bf16(d, k1), bf16(d, v1), 0, 0, split, false, nH, nKv, hd, o1, l1);
        ops.attention(qd, nq, bf16(d, k2), bf16(d, v2), 0, 0, keys - split, false, nH, nKv, hd, o2, l2);
        ops.mergeAttention(o1, l1, o2, l2, nq, nH, hd);
        d.synchronize();
        float[] fullOut = read(d, full), fullL = read(d, fullLse);
        double[] wantOut = new double[fullOut.length], wantLse = new double[fullL.length];
        for (int i = 0; i < fullOut.length; i++) wantOut[i] = fullOut[i];
        for (int i = 0; i < fullL.length; i++) wantLse[i] = fullL[i];
        // Both sides carry the attention kernel's own error: ≲ 1e-6 on fp32 units (1e-5 leaves room);
        // on tensor cores P is rounded to bf16 relative to each side's own running max, which
        // moves an output by up to 2^-9·Σ p|v| ≤ 2^-9·max|v| per side; lse does not see that rounding.
        boolean bf16P = ops.tensorCores();
        double maxV = 0;
        for (float x : v) maxV = Math.max(maxV, Math.abs(x));
        assertClose("split+merge vs full out on " + backend, wantOut, read(d, o1),
                constant(wantOut.length, bf16P ? 1e-5 + 0x1p-8 * maxV : 1e-5));
        assertClose("split+merge vs full lse on " + backend, wantLse, read(d, l1), constant(wantLse.length, bf16P ? 5e-5 : 1e-5));
    }

    /** Softmax-weighted values over the keys of one side into out[at..]; returns lse (−inf if empty). */
    private static double partial(double[] logits, double[][] values, boolean[] inA, boolean sideA, boolean empty,
                                  float[] out, int at) {
        boolean[] use = new boolean[logits.length];
        for (int key = 0; key < logits.length; key++) use[key] = !empty && inA[key] == sideA;
        double[] o = new double[values[0].length];
        double lse = attend(logits, values, use, o);
        for (int c = 0; c < o.length; c++) out[at + c] = (float) o[c];
        return lse;
    }

    private static double attend(double[] logits, double[][] values, boolean[] use, double[] out) {
        double max = Double.NEGATIVE_INFINITY;
        for (int key = 0; key < logits.length; key++) if (use[key]) max = Math.max(max, logits[key]);
        java.util.Arrays.fill(out, 0);
        if (max == Double.NEGATIVE_INFINITY) return max;
        double z = 0;
        for (int key = 0; key < logits.length; key++) if (use[key]) z += Math.exp(logits[key] - max);
        for (int key = 0; key < logits.length; key++) {
            if (!use[key]) continue;
            double w = Math.exp(logits[key] - max) / z;
            for (int c = 0; c < out.length; c++) out[c] += w * values[key][c];
        }
        return max + Math.log(z);
    }
}
