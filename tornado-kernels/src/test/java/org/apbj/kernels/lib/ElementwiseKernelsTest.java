package org.apbj.kernels.lib;

import org.apbj.kernels.testing.TestSeed;

import static org.apbj.kernels.lib.LibTesting.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Device;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Embedding, RMSNorm, RoPE and SwiGLU against fp64 references. */
@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class ElementwiseKernelsTest {

    static Iterable<Backend> backends() { return LibTesting.backends(); }

    /** A gather of bf16 values into fp32 is exact. */
    @ParameterizedTest
    @MethodSource("backends")
    void embeddingGathersRowsExactly(Backend backend) {
        Random r = random("embeddingGathersRowsExactly " + backend);
        Device d = device(backend);
        int vocab = 50, hidden = 40, rows = 23;
        float[] table = bf16Gaussians(r, vocab * hidden, 1.0);
        int[] tokens = new int[rows];
        for (int i = 0; i < rows; i++) tokens[i] = r.nextInt(vocab);
        F32Array out = d.allocF32((long) rows * hidden);
        ops(backend).embed(out, bf16(d, table), i32(d, tokens), rows, hidden);
        d.synchronize();
        float[] want = new float[rows * hidden];
        for (int t = 0; t < rows; t++) System.arraycopy(table, tokens[t] * hidden, want, t * hidden, hidden);
        assertArrayEquals(want, read(d, out));
    }

    /**
     * Tolerance: fp32 sum of squares (relative error ≤ dim·u), rsqrt within 2 ulp, two
     * products: |err| ≤ (dim/2 + 4)·u·|out|, with a small absolute floor.
     */
    @ParameterizedTest
    @MethodSource("backends")
    void rmsNormMatchesReference(Backend backend) {
        Random r = random("rmsNormMatchesReference " + backend);
        Device d = device(backend);
        int dim = 200, rows = 7, xRow0 = 1, outRow0 = 2;
        float eps = 1e-5f;
        float[] x = gaussians(r, (xRow0 + rows) * dim, 3.0);
        float[] w = bf16Gaussians(r, dim, 1.0);
        double[] want = new double[(outRow0 + rows) * dim];
        double[] tol = new double[want.length];
        for (int t = 0; t < rows; t++) {
            double ss = 0;
            for (int c = 0; c < dim; c++) ss += (double) x[(xRow0 + t) * dim + c] * x[(xRow0 + t) * dim + c];
            double inv = 1 / Math.sqrt(ss / dim + eps);
            for (int c = 0; c < dim; c++) {
                int at = (outRow0 + t) * dim + c;
                want[at] = x[(xRow0 + t) * dim + c] * inv * w[c];
                tol[at] = (dim / 2.0 + 4) * EPS32 * Math.abs(want[at]) + 1e-7;
            }
        }
        F32Array out = d.allocF32(want.length);
        ops(backend).rmsNorm(out, outRow0, f32(d, x), xRow0, bf16(d, w), rows, dim, eps);
        d.synchronize();
        assertClose("rmsNorm on " + backend, want, read(d, out), tol);
    }

    /**
     * {@link KernelOps#rmsNormBf16Wide}: rows of 200 (25 of 32 work-items hold 8 elements, the
     * rest idle), 4096 (the 8B hidden size: 512 work-items) and 204 (not a multiple of 8: the
     * plain kernel). Tolerance: {@link #rmsNormMatchesReference}'s plus half a bf16 ulp of the
     * result (the bf16 output); a wrong weight word or pair order moves an element by ~1.
     */
    @ParameterizedTest
    @MethodSource("backends")
    void rmsNormBf16WideMatchesReference(Backend backend) {
        Random r = random("rmsNormBf16WideMatchesReference " + backend);
        Device d = device(backend);
        for (int dim : new int[] {200, 4096, 204}) {
            int rows = 5, xRow0 = 1, outRow0 = 2;
            float eps = 1e-5f;
            float[] x = gaussians(r, (xRow0 + rows) * dim, 3.0);
            float[] w = bf16Gaussians(r, dim, 1.0);
            double[] want = new double[(outRow0 + rows) * dim];
            double[] tol = new double[want.length];
            java.util.Arrays.fill(tol, 1e-30);   // rows before outRow0 stay zero
            for (int t = 0; t < rows; t++) {
                double ss = 0;
                for (int c = 0; c < dim; c++) ss += (double) x[(xRow0 + t) * dim + c] * x[(xRow0 + t) * dim + c];
                double inv = 1 / Math.sqrt(ss / dim + eps);
                for (int c = 0; c < dim; c++) {
                    int at = (outRow0 + t) * dim + c;
                    want[at] = x[(xRow0 + t) * dim + c] * inv * w[c];
                    tol[at] = (dim / 2.0 + 4) * EPS32 * Math.abs(want[at]) + 0x1p-8 * Math.abs(want[at]) + 1e-7;
                }
            }
            org.apbj.kernels.api.BF16Array out = d.allocBF16(want.length);
            ops(backend).rmsNormBf16Wide(out, outRow0, f32(d, x), xRow0, bf16(d, w), rows, dim, eps);
            d.synchronize();
            assertClose("rmsNormBf16Wide dim " + dim + " on " + backend, want, read(d, out), tol);
        }
    }

    /**
     * RoPE at scattered positions up to 131071 with Llama-3.1's scaled frequencies. The
     * reference takes HF's angle (position·invFreq rounded to fp32) and applies cos/sin in
     * double; the kernel's own sin/cos err by a few fp32 ulp of 1 and the rotation adds fp32
     * rounding: 4e-7·(|x1| + |x2|). bf16 keys add half a bf16 ulp of the result.
     */
    @ParameterizedTest
    @MethodSource("backends")
    void ropeRotatesPairsAtArbitraryPositions(Backend backend) {
        Random r = random("ropeRotatesPairsAtArbitraryPositions " + backend);
        Device d = device(backend);
        int hd = 64, nH = 3, nKv = 2, rows = 9, qRow0 = 1, kRow0 = 4;
        float[] inv = Rope.inverseFrequencies(hd, 500000.0, 8.0, 1.0, 4.0, 8192);
        int[] pos = new int[rows];
        for (int t = 0; t < rows; t++) pos[t] = t == 0 ? 0 : r.nextInt(131072);
        float[] q = gaussians(r, (qRow0 + rows) * nH * hd, 1.0);
        float[] k = bf16Gaussians(r, (kRow0 + rows) * nKv * hd, 1.0);
        F32Array qd = f32(d, q);
        BF16Array kd = bf16(d, k);
        ops(backend).rope(qd, qRow0, nH, kd, kRow0, nKv, hd, rows, i32(d, pos), f32(d, inv));
        d.synchronize();
        checkRotation("q on " + backend, q, read(d, qd), qRow0, nH, hd, rows, pos, inv, false);
        checkRotation("k on " + backend, k, read(d, kd), kRow0, nKv, hd, rows, pos, inv, true);
    }

    private static void checkRotation(String what, float[] before, float[] got, int row0, int heads, int hd, int rows,
                                      int[] pos, float[] inv, boolean bf16) {
        double[] want = new double[before.length];
        double[] tol = new double[before.length];
        for (int i = 0; i < before.length; i++) want[i] = before[i];
        int half = hd / 2;
        for (int t = 0; t < rows; t++) {
            for (int h = 0; h < heads; h++) {
                int base = ((row0 + t) * heads + h) * hd;
                for (int i = 0; i < half; i++) {
                    double angle = (float) pos[t] * inv[i];   // HF: fp32 product
                    double x1 = before[base + i], x2 = before[base + i + half];
                    want[base + i] = x1 * Math.cos(angle) - x2 * Math.sin(angle);
                    want[base + i + half] = x2 * Math.cos(angle) + x1 * Math.sin(angle);
                    double t0 = 4e-7 * (Math.abs(x1) + Math.abs(x2));
                    tol[base + i] = t0 + (bf16 ? EPS_BF16 * Math.abs(want[base + i]) : 0);
                    tol[base + i + half] = t0 + (bf16 ? EPS_BF16 * Math.abs(want[base + i + half]) : 0);
                }
            }
        }
        assertClose("rope " + what, want, got, tol);
    }

    /** Hugging Face's _compute_llama3_parameters, transcribed (per element, in double). */
    @Test
    void llama3InverseFrequenciesFollowTransformers() {
        int hd = 128;
        double theta = 500000, factor = 8, low = 1, high = 4;
        int original = 8192;
        float[] got = Rope.inverseFrequencies(hd, theta, factor, low, high, original);
        float[] plain = Rope.inverseFrequencies(hd, theta, 0, 0, 0, 0);
        double lowWavelen = original / low, highWavelen = original / high;
        for (int i = 0; i < hd / 2; i++) {
            double f = 1.0 / Math.pow(theta, (double) (2 * i) / hd);
            assertEquals((float) f, plain[i], "plain inv_freq[" + i + "]");
            double wavelen = 2 * Math.PI / f;
            double scaled = wavelen > lowWavelen ? f / factor : f;
            double smooth = (original / wavelen - low) / (high - low);
            double smoothed = (1 - smooth) * scaled / factor + smooth * scaled;
            boolean medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
            assertEquals((float) (medium ? smoothed : scaled), got[i], "llama3 inv_freq[" + i + "]");
        }
        assertEquals(1.0f, got[0]);                                  // highest frequency untouched
        assertEquals((float) (Math.pow(theta, -126.0 / 128) / 8), got[63]);   // lowest divided by factor
    }

    /** silu(g)·u in fp32: a few ulp of the result (exp within 2 ulp, one division, one product). */
    @ParameterizedTest
    @MethodSource("backends")
    void swiGluMatchesReference(Backend backend) {
        Random r = random("swiGluMatchesReference " + backend);
        Device d = device(backend);
        int n = 1000;
        float[] g = gaussians(r, n, 4.0);
        float[] u = gaussians(r, n, 1.0);
        double[] want = new double[n];
        double[] tol = new double[n];
        for (int i = 0; i < n; i++) {
            want[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
            tol[i] = 8 * EPS32 * Math.abs(want[i]) + 1e-30;
        }
        F32Array h = d.allocF32(n);
        ops(backend).swiGlu(h, f32(d, g), f32(d, u), n);
        d.synchronize();
        assertClose("swiGlu on " + backend, want, read(d, h), tol);
    }
}
