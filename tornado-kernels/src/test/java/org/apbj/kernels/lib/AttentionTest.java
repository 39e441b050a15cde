package org.apbj.kernels.lib;

import org.apbj.kernels.testing.TestSeed;

import static org.apbj.kernels.lib.LibTesting.*;

import java.util.Random;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Device;
import static org.junit.jupiter.api.Assertions.assertTrue;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Flash attention against an fp64 reference that materialises the masked score matrix,
 * with the mask written straight from APB-SPEC.md: keys = [P ; A ; B], queries = [A ; B];
 * anchor row i sees keys p..p+i, B row j sees keys 0..p+a+j; without causal, all keys.
 *
 * <p>Tolerance 2e-5 absolute on out and lse: the kernel accumulates q·k in fp32 over d terms
 * (worst case d·u·Σ|q·k|·scale ≈ 1e-5 for these logits of spread 2.5, typically √d smaller),
 * exponentials within a few ulp (GPU ex2.approx: 2 ulp), and weighted sums of values |v| ≲ 4
 * in fp32, so an output errs by about (logit error)·max|v|: observed ≲ 5e-7 on the Java device.
 * A masking, GQA or rescaling error moves outputs by ~0.1.
 */
@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class AttentionTest {

    static Iterable<Backend> backends() { return LibTesting.backends(); }

    @ParameterizedTest
    @MethodSource("backends")
    void plainCausal(Backend backend) {
        Random r = random("plainCausal " + backend);
        check(backend, r, 0, 0, 77, true, 4, 2, 64);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void apbMaskWithOddBlocks(Backend backend) {
        Random r = random("apbMaskWithOddBlocks " + backend);
        check(backend, r, 37, 29, 53, true, 4, 2, 64);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void apbMaskHeadDim128(Backend backend) {
        Random r = random("apbMaskHeadDim128 " + backend);
        check(backend, r, 70, 5, 66, true, 2, 1, 128);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void nonCausalSeesAllKeys(Backend backend) {
        Random r = random("nonCausalSeesAllKeys " + backend);
        check(backend, r, 40, 3, 90, false, 6, 3, 64);   // nq chosen independently below
    }

    /** A query block attends with no mask to keys of another block: nq unrelated to the key count. */
    @ParameterizedTest
    @MethodSource("backends")
    void nonCausalQueriesAgainstForeignBlock(Backend backend) {
        Random r = random("nonCausalQueriesAgainstForeignBlock " + backend);
        Device d = device(backend);
        int nH = 4, nKv = 1, hd = 64, nq = 5, keys = 150;
        runAndCompare(backend, d, r, nq, keys, 0, 0, false, nH, nKv, hd);
    }

    /**
     * Few queries against many keys run split over key ranges (flash-decoding) and merged:
     * decoding after a long cache, and anchor rows that see no key of the first splits.
     */
    @ParameterizedTest
    @MethodSource("backends")
    void fewQueriesSplitOverKeys(Backend backend) {
        Random r = random("fewQueriesSplitOverKeys " + backend);
        assertTrue(KernelOps.attentionSplits(3, 2, 523) > 1, "the decode case must take the split path");
        assertTrue(KernelOps.attentionSplits(4, 2, 564) > 1, "the anchor case must take the split path");
        assertTrue(KernelOps.attentionSplits(5, 2, 600) > 1, "the non-causal case must take the split path");
        check(backend, r, 520, 0, 3, true, 2, 1, 64);                  // decoding 3 tokens after 520
        check(backend, r, 560, 2, 2, true, 2, 1, 64);                  // anchors see no key of split 0
        runAndCompare(backend, device(backend), r, 5, 600, 0, 0, false, 2, 1, 128);
    }

    private static void check(Backend backend, Random r, int p, int a, int b, boolean causal, int nH, int nKv, int hd) {
        Device d = device(backend);
        int nq = causal ? a + b : a + b + 11;
        runAndCompare(backend, d, r, nq, p + a + b, p, a, causal, nH, nKv, hd);
    }

    /** keys = p + a + b total; with causal, nq = a + b. */
    private static void runAndCompare(Backend backend, Device d, Random r, int nq, int keys, int p, int a,
                                      boolean causal, int nH, int nKv, int hd) {
        int b = keys - p - a;
        // logits of spread ~2.5 so rows are neither uniform nor one-hot
        float[] q = gaussians(r, nq * nH * hd, 2.5 / Math.pow(hd, 0.25));
        float[] k = bf16Gaussians(r, keys * nKv * hd, 1.0 / Math.pow(hd, 0.25));
        float[] v = bf16Gaussians(r, keys * nKv * hd, 1.0);

        double[] wantOut = new double[nq * nH * hd];
        double[] wantLse = new double[nq * nH];
        double scale = 1.0 / Math.sqrt(hd);
        int group = nH / nKv;
        for (int row = 0; row < nq; row++) {
            for (int h = 0; h < nH; h++) {
                int kvh = h / group;
                double[] s = new double[keys];
                double max = Double.NEGATIVE_INFINITY;
                for (int key = 0; key < keys; key++) {
                    if (!visible(causal, p, a, row, key)) {
                        s[key] = Double.NEGATIVE_INFINITY;
                        continue;
                    }
                    double dot = 0;
                    for (int c = 0; c < hd; c++) dot += (double) q[(row * nH + h) * hd + c] * k[(key * nKv + kvh) * hd + c];
                    s[key] = dot * scale;
                    max = Math.max(max, s[key]);
                }
                double z = 0;
                for (int key = 0; key < keys; key++) if (s[key] != Double.NEGATIVE_INFINITY) z += Math.exp(s[key] - max);
                wantLse[row * nH + h] = max + Math.log(z);
                for (int c = 0; c < hd; c++) {
                    double o = 0;
                    for (int key = 0; key < keys; key++) {
                        if (s[key] != Double.NEGATIVE_INFINITY) o += Math.exp(s[key] - max) / z * v[(key * nKv + kvh) * hd + c];
                    }
                    wantOut[(row * nH + h) * hd + c] = o;
                }
            }
        }

        F32Array out = d.allocF32((long) nq * nH * hd);
        F32Array lse = d.allocF32((long) nq * nH);
        ops(backend).attention(f32(d, q), nq, bf16(d, k), bf16(d, v), p, a, b, causal, nH, nKv, hd, out, lse);
        d.synchronize();
        String what = "attention p=" + p + " a=" + a + " b=" + b + " nq=" + nq + " causal=" + causal + " heads " + nH
                + "/" + nKv + " d=" + hd + " on " + backend;
        assertClose(what + ": out", wantOut, read(d, out), constant(wantOut.length, 2e-5));
        assertClose(what + ": lse", wantLse, read(d, lse), constant(wantLse.length, 2e-5));
    }

    /** The mask of APB-SPEC.md, phase 1 step 6, stated per query row. */
    static boolean visible(boolean causal, int p, int a, int row, int key) {
        if (!causal) return true;
        if (row < a) return key >= p && key <= p + row;   // anchor row i: keys p..p+i
        int j = row - a;
        return key <= p + a + j;                           // B row j: keys 0..p+a+j
    }
}
