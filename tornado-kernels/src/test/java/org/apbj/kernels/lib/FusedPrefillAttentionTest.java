package org.apbj.kernels.lib;

import static org.apbj.kernels.lib.LibTesting.*;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.KernelMath;
import org.apbj.kernels.lib.AttentionTest.AttentionKernel;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.testing.TestSeed;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link KernelOps#attentionRopedToBf16} (dense prefill: RoPE on Q fused into the attention's Q
 * load, the output stored as bf16) against an fp64 reference that rotates q in double (angle
 * positions·invFreq rounded to fp32, as Hugging Face does), attends in double and compares the
 * bf16 output, on the Hopper kernels (fused; the pipelined one with either producer) and on the
 * mma.sync kernel (the unfused fallback: rope, attention, conversion), on every backend that runs
 * them.
 *
 * <p>Tolerances: {@link AttentionTest}'s (fp32 sums, P rounded to bf16: 2^-8·Σp|v|), plus the
 * output's own rounding to bf16 (half a bf16 step: up to 2^-8·|out|), plus, for the (row, head) pairs where a Q element
 * lies so near a bf16 rounding boundary that the fp32 rotation and the fp64 one may round it
 * differently, one bf16 step of it (a logit moves by at most 2^-8·scale·max|q_c·k_c|, an output
 * by twice that times Σp|v|). A rotation by the wrong angle,
 * a pair taken from the wrong column or a wrong position moves outputs by ~0.1.
 */
@ExtendWith(TestSeed.class)
class FusedPrefillAttentionTest {

    static Stream<Arguments> kernels() {
        return LibTesting.backends().stream().flatMap(b -> Stream.of(AttentionKernel.HOPPER, AttentionKernel.HOPPER_PIPELINED,
                AttentionKernel.HOPPER_TMA, AttentionKernel.HOPPER_TMA_PERSISTENT,
                AttentionKernel.HOPPER_TMA_PERSISTENT_Q, AttentionKernel.TENSOR_CORES).filter(k -> k.runsOn(b)).map(k -> Arguments.of(b, k)));
    }

    /** A chunk after 150 cached keys (two query groups of the Hopper kernels), GQA 4/2, d = 64, Llama-3 scaled frequencies. */
    @ParameterizedTest
    @MethodSource("kernels")
    void chunkAfterCache(Backend backend, AttentionKernel kernel) {
        Random r = random("chunkAfterCache " + backend + " " + kernel);
        int p = 150, nq = 130;
        check(backend, kernel, r, p, nq, 4, 2, 64, consecutive(p, nq));
    }

    /** d = 128 (pairs 64 columns apart span both swizzled column blocks), positions far apart and out of order. */
    @ParameterizedTest
    @MethodSource("kernels")
    void headDim128ScatteredPositions(Backend backend, AttentionKernel kernel) {
        Random r = random("headDim128ScatteredPositions " + backend + " " + kernel);
        int nq = 70;
        int[] positions = new int[nq];
        for (int i = 0; i < nq; i++) positions[i] = r.nextInt(200_000);
        check(backend, kernel, r, 0, nq, 2, 1, 128, positions);
    }

    /** Few queries over many keys take the key-split path: Q rotated in every split, merged in fp32, then rounded. */
    @ParameterizedTest
    @MethodSource("kernels")
    void keySplitsMergeThenRound(Backend backend, AttentionKernel kernel) {
        Random r = random("keySplitsMergeThenRound " + backend + " " + kernel);
        int p = 597, nq = 3;
        assertTrue(KernelOps.attentionSplits(KernelOps.prefillGroups(nq, 2), p + nq) > 1, "this case must take the split path");
        check(backend, kernel, r, p, nq, 2, 1, 64, consecutive(p, nq));
    }

    private static int[] consecutive(int from, int n) {
        int[] positions = new int[n];
        for (int i = 0; i < n; i++) positions[i] = from + i;
        return positions;
    }

    /** Causal chunk of nq query rows after p keys (keys = p + nq, the chunk's own keys last); q row t at positions[t]. */
    private static void check(Backend backend, AttentionKernel kernel, Random r, int p, int nq, int nH, int nKv, int hd,
                              int[] positions) {
        Device d = device(backend);
        int keys = p + nq;
        // logits of spread ~8: a few keys dominate each row, so a query rotated wrongly picks other keys (outputs move by ~1)
        float[] q = gaussians(r, nq * nH * hd, 8.0 / Math.pow(hd, 0.25));
        float[] k = bf16Gaussians(r, keys * nKv * hd, 1.0 / Math.pow(hd, 0.25));
        float[] v = bf16Gaussians(r, keys * nKv * hd, 1.0);
        float[] invFreq = Rope.inverseFrequencies(hd, 500000.0, 8.0, 1.0, 4.0, 8192);

        // q rotated in double (angles rounded to fp32 as in HF), then scaled and rounded to bf16 as the kernels load it
        int half = hd / 2;
        double[] rotated = new double[q.length];
        for (int t = 0; t < nq; t++) {
            for (int h = 0; h < nH; h++) {
                int base = (t * nH + h) * hd;
                for (int i = 0; i < half; i++) {
                    double angle = (float) positions[t] * invFreq[i];
                    double c = Math.cos(angle), s = Math.sin(angle);
                    double x1 = q[base + i], x2 = q[base + i + half];
                    rotated[base + i] = x1 * c - x2 * s;
                    rotated[base + i + half] = x2 * c + x1 * s;
                }
            }
        }
        float qScale = (float) (1.0 / Math.sqrt(hd)) * 1.4426950408889634f;
        double[] qUsed = new double[q.length];
        boolean[] mayFlip = new boolean[nq * nH];   // some Q element of (row, head) lies next to a bf16 rounding boundary
        for (int i = 0; i < q.length; i++) {
            qUsed[i] = KernelMath.bf16ToFloat(KernelMath.floatToBf16((float) rotated[i] * qScale)) / (double) qScale;
            int pair = i % hd < half ? i + half : i - half;
            double slack = 0x1p-20 * (Math.abs(q[i]) + Math.abs(q[pair]));   // the fp32 rotation's error, generously
            mayFlip[i / hd] |= KernelMath.floatToBf16((float) ((rotated[i] - slack) * qScale))
                    != KernelMath.floatToBf16((float) ((rotated[i] + slack) * qScale));
        }
        // causal with no anchor: row t sees keys 0 .. p + t
        AttentionReference ref = new AttentionReference(qUsed, k, v, nq, keys, p, 0, true, nH, nKv, hd);
        double[] want = ref.out, tol = new double[q.length];
        double scale = 1.0 / Math.sqrt(hd);
        for (int at = 0; at < tol.length; at++) {
            double qFlip = 2 * 0x1p-8 * ref.maxTerm[at / hd] * scale;   // one bf16 step of one Q element, both ways
            tol[at] = 2e-5 + 0x1p-8 * ref.weightedAbs[at] + 0x1p-8 * Math.abs(want[at])
                    + (mayFlip[at / hd] ? qFlip * ref.weightedAbs[at] : 0);
        }

        try (KernelOps ops = kernel.ops(d).decodeAttention(false)) {
            F32Array qd = f32(d, q), out = d.allocF32((long) q.length), lse = d.allocF32((long) nq * nH);
            BF16Array outBf16 = d.allocBF16(q.length);
            ops.attentionRopedToBf16(qd, nq, bf16(d, k), bf16(d, v), p, 0, nq, true, nH, nKv, hd, i32(d, positions),
                    f32(d, invFreq), out, lse, outBf16);
            d.synchronize();
            float[] got = read(d, outBf16);
            assertClose("RoPE-fused attention, bf16 out, p=" + p + " nq=" + nq + " heads " + nH + "/" + nKv + " d=" + hd
                    + " positions " + Arrays.toString(Arrays.copyOf(positions, Math.min(4, nq))) + "... on " + backend
                    + " (" + kernel + ")", want, got, tol);
        }
    }
}
