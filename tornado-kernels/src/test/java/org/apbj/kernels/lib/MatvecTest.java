package org.apbj.kernels.lib;

import static org.apbj.kernels.lib.LibTesting.*;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.testing.TestSeed;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused few-row products against an fp64 reference on fresh random inputs: SwiGLU on the
 * gate and up rows ({@link Matvec#matvecSwiGlu}) and a decode step's q, k, v with RoPE and the
 * cache write ({@link Matvec#matvecQkvRope}, also bit for bit against the unfused launches it
 * replaces). Shapes are ragged: n not a multiple of the rows per group, k past one unrolled
 * chunk with a word-by-word tail. The plain product is in {@link GemmTest}.
 *
 * <p>Tolerance: a dot product of k terms in fp32 errs by at most (k + 2)·u·Σ|terms|; SwiGLU
 * multiplies two such values and applies silu (a few ulp), so the bound is that relative error
 * times |silu(g)|·|u| plus the propagated error of g (|silu'| ≤ 1.1) times |u|.
 */
@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class MatvecTest {

    static Iterable<Backend> backends() { return LibTesting.backends(); }

    @ParameterizedTest
    @MethodSource("backends")
    void swiGluMatchesReference(Backend backend) {
        Random r = random("swiGluMatchesReference " + backend);
        KernelOps ops = new KernelOps(device(backend), REDUCTION_THREADS, false);
        checkSwiGlu(ops, backend, r, 1, 37, 1024 + 40, false);
        checkSwiGlu(ops, backend, r, 3, 9, 72, false);
        checkSwiGlu(ops, backend, r, 8, 20, 264, false);
    }

    /** Widths the 16-byte loads cannot serve are refused with the reason, not read misaligned. */
    @Test
    void kNotMultipleOfEightIsRefused() {
        Device d = device(Backend.JAVA);
        KernelOps ops = new KernelOps(d, REDUCTION_THREADS, false);
        F32Array x = d.allocF32(68), y = d.allocF32(4);
        BF16Array w = d.allocBF16(4 * 68);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ops.matmul(y, 0, x, 0, w, null, 1, 4, 68, false));
        assertTrue(e.getMessage().contains("multiple of 8"), e.getMessage());
    }

    @ParameterizedTest
    @MethodSource("backends")
    void qkvRopeMatchesReference(Backend backend) {
        Random r = random("qkvRopeMatchesReference " + backend);
        checkQkvRope(backend, r, 4, 2, 64, 1024 + 40, false, "off");
        checkQkvRope(backend, r, 3, 1, 16, 72, true, "off");
    }

    /** The 8B shape (32 query heads, 8 KV heads of 128, hidden 4096); too slow for the Java device: CudaKernelsTest runs it. */
    void qkvRopeDecodeShape(Backend backend) {
        checkQkvRope(backend, random("qkvRopeDecodeShape " + backend), 32, 8, 128, 4096, false, "off");
        checkQkvRope(backend, random("qkvRopeDecodeShape split " + backend), 32, 8, 128, 4096, false, "auto");
    }

    /**
     * One row with k split 1, 2, 4 and 8 ways ({@link Matvec#matvecSplit},
     * {@link Matvec#matvecBf16OutSplit}, {@link Matvec#matvecQkvRopeSplit}): ragged n (the last
     * group's spare slots), k = 1064 (133 words: parts of whole 32-word loads, a masked tail,
     * the last parts short or empty at split 8) and k = 72 (less than one warp load).
     */
    @ParameterizedTest
    @MethodSource("backends")
    void splitMatchesReference(Backend backend) {
        Random r = random("splitMatchesReference " + backend);
        for (String split : new String[] {"1", "2", "4", "8"}) {
            KernelOps ops = new KernelOps(device(backend), REDUCTION_THREADS, false).useMatvecSplit(split);
            labelled("split " + split, () -> {
                GemmTest.checkFewRows(ops, backend, r, 1, 37, 1024 + 40, true, true, false, false);
                GemmTest.checkFewRows(ops, backend, r, 1, 19, 72, true, false, true, false);
                checkQkvRope(backend, r, 3, 1, 16, 1024 + 40, true, split);
            });
        }
    }

    /**
     * The tensor-core few-row products ({@link MatvecTc}) for every row count 1..8, each at
     * another split, against fp64 with x rounded to bf16 as the kernel does (twice the fp32
     * bound: tensor cores sum in their own order): ragged n (a tile's rows past n), k = 1064 (34
     * steps of 32, the last a quarter full: unrolled chunks, then checked steps) and k = 72;
     * bias, accumulate, bf16 output and SwiGLU.
     */
    @ParameterizedTest
    @MethodSource("backends")
    void tensorCoreMatchesReference(Backend backend) {
        Random r = random("tensorCoreMatchesReference " + backend);
        String[] splits = {"1", "2", "4", "8"};
        for (int rows = 1; rows <= Matvec.MAX_ROWS; rows++) {
            String split = splits[rows % 4];
            KernelOps ops = new KernelOps(device(backend), REDUCTION_THREADS, false).useMatvecSplit(split)
                    .useMatvecTensorCores("all");
            int rr = rows;
            labelled("rows " + rows + ", split " + split, () -> {
                GemmTest.checkFewRows(ops, backend, r, rr, 37, rr % 2 == 0 ? 1024 + 40 : 72, rr > 4, rr % 3 == 0, false, true);
                if (rr == 3 || rr == 8) GemmTest.checkFewRows(ops, backend, r, rr, 21, 1024 + 40, true, false, true, true);
                if (rr == 2 || rr == 8) checkSwiGlu(ops, backend, r, rr, 13, 1024 + 40, true);
            });
        }
    }

    /**
     * The 8B decode shapes on the new forms against fp64: one row split per shape (o and down
     * accumulated, k or v alone in bf16), eight and five rows on tensor cores (o, down, the LM
     * head's width in a 16384-row slice with bias, gate/up with SwiGLU). Too slow for the Java
     * device: CudaKernelsTest runs it (and {@link #qkvRopeDecodeShape} for the split q/k/v).
     */
    void fewRowDecodeShapes(Backend backend) {
        Random r = random("fewRowDecodeShapes " + backend);
        KernelOps split = new KernelOps(device(backend), REDUCTION_THREADS, false).useMatvecSplit("auto");
        KernelOps tc = new KernelOps(device(backend), REDUCTION_THREADS, false).useMatvecSplit("auto")
                .useMatvecTensorCores("true");
        GemmTest.checkFewRows(split, backend, r, 1, 4096, 4096, false, true, false, false);
        GemmTest.checkFewRows(split, backend, r, 1, 4096, 14336, false, true, false, false);
        GemmTest.checkFewRows(split, backend, r, 1, 1024, 4096, false, false, true, false);
        GemmTest.checkFewRows(tc, backend, r, 8, 4096, 4096, false, true, false, true);
        GemmTest.checkFewRows(tc, backend, r, 8, 4096, 14336, false, true, false, true);
        GemmTest.checkFewRows(tc, backend, r, 5, 16384, 4096, true, false, false, true);
        checkSwiGlu(tc, backend, r, 8, 14336, 4096, true);
    }

    /** The check's failure message with the setting it ran under in front. */
    private static void labelled(String setting, Runnable check) {
        try {
            check.run();
        } catch (AssertionError e) {
            throw new AssertionError(setting + ": " + e.getMessage(), e);
        }
    }

    /**
     * q = RoPE(x·Wqᵀ + bq) in fp32; k = bf16(RoPE(bf16(x·Wkᵀ + bk))) and v = bf16(x·Wvᵀ + bv) in
     * cache row pos; the other cache rows keep their sentinel. Bounds: each dot's fp32 bound
     * (plus the bias add), carried through the rotation (|cos|, |sin| weights), the rotation's own
     * roundings and the sin/cos polynomials (a few ulp), and one bf16 rounding per bf16 step.
     */
    private static void checkQkvRope(Backend backend, Random r, int nHeads, int nKv, int headDim, int k, boolean bias,
                                     String split) {
        Device d = device(backend);
        int qDim = nHeads * headDim, kvDim = nKv * headDim, half = headDim / 2, cacheRows = 5;
        int pos = 1 + r.nextInt(cacheRows - 1);   // never 0: a rotation by angle 0 would check nothing
        float[] x = gaussians(r, k, 1.0);
        float[] wq = bf16Gaussians(r, qDim * k, 0.05), wk = bf16Gaussians(r, kvDim * k, 0.05), wv = bf16Gaussians(r, kvDim * k, 0.05);
        float[] bq = bf16Gaussians(r, qDim, 0.5), bk = bf16Gaussians(r, kvDim, 0.5), bv = bf16Gaussians(r, kvDim, 0.5);
        float[] invFreq = Rope.inverseFrequencies(headDim, 10000.0, 0, 0, 0, 0);
        double[][] dot = new double[3][], abs = new double[3][];
        float[][] w = {wq, wk, wv}, b = {bq, bk, bv};
        int[] dims = {qDim, kvDim, kvDim};
        for (int m = 0; m < 3; m++) {
            dot[m] = new double[dims[m]];
            abs[m] = new double[dims[m]];
            for (int c = 0; c < dims[m]; c++) {
                for (int j = 0; j < k; j++) {
                    dot[m][c] += (double) x[j] * w[m][c * k + j];
                    abs[m][c] += Math.abs((double) x[j] * w[m][c * k + j]);
                }
                if (bias) {
                    dot[m][c] += b[m][c];
                    abs[m][c] += Math.abs(b[m][c]);
                }
                abs[m][c] = (k + 3) * 1.01 * EPS32 * abs[m][c];   // now the dot's error bound
            }
        }
        double[] wantQ = new double[qDim], tolQ = new double[qDim];
        double[] wantK = new double[kvDim], tolK = new double[kvDim], wantV = new double[kvDim], tolV = new double[kvDim];
        for (int m = 0; m < 2; m++) {
            int nh = m == 0 ? nHeads : nKv;
            for (int h = 0; h < nh; h++) {
                for (int i = 0; i < half; i++) {
                    int c = h * headDim + i;
                    double angle = (float) pos * invFreq[i];   // the fp32 product, as HF and the kernel
                    double cs = Math.cos(angle), sn = Math.sin(angle);
                    double d0 = dot[m][c], d1 = dot[m][c + half], e0 = abs[m][c], e1 = abs[m][c + half];
                    if (m == 1) {   // k is rounded to bf16 before the rotation
                        e0 += EPS_BF16 * Math.abs(d0) + 1e-30;
                        e1 += EPS_BF16 * Math.abs(d1) + 1e-30;
                    }
                    double o0 = d0 * cs - d1 * sn, o1 = d1 * cs + d0 * sn;
                    double rot = 8 * EPS32 * (Math.abs(d0) + Math.abs(d1)) + 4e-9 * (Math.abs(d0) + Math.abs(d1));
                    double t0 = Math.abs(cs) * e0 + Math.abs(sn) * e1 + rot, t1 = Math.abs(cs) * e1 + Math.abs(sn) * e0 + rot;
                    double[] want = m == 0 ? wantQ : wantK, tol = m == 0 ? tolQ : tolK;
                    double round = m == 0 ? 0 : EPS_BF16;
                    want[c] = o0;
                    want[c + half] = o1;
                    tol[c] = t0 + round * (Math.abs(o0) + t0) + 1e-30;
                    tol[c + half] = t1 + round * (Math.abs(o1) + t1) + 1e-30;
                }
            }
        }
        for (int c = 0; c < kvDim; c++) {
            wantV[c] = dot[2][c];
            tolV[c] = abs[2][c] + EPS_BF16 * (Math.abs(dot[2][c]) + abs[2][c]) + 1e-30;
        }
        float sentinel = 7.0f;
        float[] cacheInit = new float[cacheRows * kvDim];
        java.util.Arrays.fill(cacheInit, sentinel);
        F32Array xd = f32(d, x), q = d.allocF32(qDim);
        BF16Array kCache = bf16(d, cacheInit), vCache = bf16(d, cacheInit);
        BF16Array wqd = bf16(d, wq), wkd = bf16(d, wk), wvd = bf16(d, wv);
        BF16Array bqd = bias ? bf16(d, bq) : null, bkd = bias ? bf16(d, bk) : null, bvd = bias ? bf16(d, bv) : null;
        F32Array inv = f32(d, invFreq);
        org.apbj.kernels.api.I32Array step = i32(d, new int[] {pos});
        KernelOps ops = new KernelOps(d, REDUCTION_THREADS, false).useMatvecSplit(split);
        ops.matvecQkvRope(q, kCache, vCache, step, xd, wqd, wkd, wvd, bqd, bkd, bvd, inv, nHeads, nKv, headDim, k);
        d.synchronize();
        String what = nHeads + "/" + nKv + " heads of " + headDim + ", k " + k + (bias ? ", bias" : "") + ", pos " + pos
                + ", split " + split + " on " + backend;
        float[] gotQ = read(d, q), gotK = read(d, kCache), gotV = read(d, vCache);
        assertClose("q " + what, wantQ, gotQ, tolQ);
        assertClose("k " + what, wantK, java.util.Arrays.copyOfRange(gotK, pos * kvDim, (pos + 1) * kvDim), tolK);
        assertClose("v " + what, wantV, java.util.Arrays.copyOfRange(gotV, pos * kvDim, (pos + 1) * kvDim), tolV);
        for (int i = 0; i < cacheRows * kvDim; i++) {
            if (i / kvDim == pos) continue;
            int at = i;
            assertTrue(gotK[i] == sentinel && gotV[i] == sentinel, () -> "cache element " + at + " outside row " + pos
                    + " was written (" + what + ")");
        }

        // the launches it replaces give the same bits: matvec into q, matvecBf16Out into k and v rows, RoPE
        F32Array q2 = d.allocF32(qDim);
        BF16Array kRow = d.allocBF16(kvDim), vRow = d.allocBF16(kvDim);
        ops.matmul(q2, 0, xd, 0, wqd, bqd, 1, qDim, k, false);
        ops.matmulBf16Out(kRow, 0, xd, 0, wkd, bkd, 1, kvDim, k);
        ops.matmulBf16Out(vRow, 0, xd, 0, wvd, bvd, 1, kvDim, k);
        ops.rope(q2, 0, nHeads, kRow, 0, nKv, headDim, 1, step, inv);
        d.synchronize();
        org.junit.jupiter.api.Assertions.assertArrayEquals(read(d, q2), gotQ, "q vs the unfused launches, " + what);
        org.junit.jupiter.api.Assertions.assertArrayEquals(read(d, kRow), java.util.Arrays.copyOfRange(gotK, pos * kvDim,
                (pos + 1) * kvDim), "k vs the unfused launches, " + what);
        org.junit.jupiter.api.Assertions.assertArrayEquals(read(d, vRow), java.util.Arrays.copyOfRange(gotV, pos * kvDim,
                (pos + 1) * kvDim), "v vs the unfused launches, " + what);
    }

    /** xBf16: the kernel rounds x to bf16 and sums in the tensor cores' order (twice the fp32 bound). */
    private static void checkSwiGlu(KernelOps ops, Backend backend, Random r, int rows, int n, int k, boolean xBf16) {
        Device d = ops.device();
        int order = xBf16 ? 2 : 1;
        int xRow0 = 1;
        float[] x = gaussians(r, (xRow0 + rows) * k, 1.0);
        float[] gate = bf16Gaussians(r, n * k, 0.05), up = bf16Gaussians(r, n * k, 0.05);
        double[] want = new double[rows * n], tol = new double[rows * n];
        for (int t = 0; t < rows; t++) {
            for (int c = 0; c < n; c++) {
                double g = 0, gAbs = 0, u = 0, uAbs = 0;
                for (int j = 0; j < k; j++) {
                    double xv = xBf16 ? roundBf16(x[(xRow0 + t) * k + j]) : x[(xRow0 + t) * k + j];
                    g += xv * gate[c * k + j];
                    gAbs += Math.abs(xv * gate[c * k + j]);
                    u += xv * up[c * k + j];
                    uAbs += Math.abs(xv * up[c * k + j]);
                }
                double silu = g / (1 + Math.exp(-g));
                want[t * n + c] = silu * u;
                double eg = order * (k + 2) * 1.01 * EPS32 * gAbs, eu = order * (k + 2) * 1.01 * EPS32 * uAbs;
                tol[t * n + c] = 1.1 * eg * (Math.abs(u) + eu) + Math.abs(silu) * eu + 8 * EPS32 * Math.abs(silu * u) + 1e-30;
            }
        }
        F32Array h = d.allocF32((long) rows * n);
        ops.matvecSwiGlu(h, f32(d, x), xRow0, bf16(d, gate), bf16(d, up), rows, n, k);
        d.synchronize();
        assertClose("swiglu(x·gateᵀ, x·upᵀ) " + rows + "x" + n + "x" + k + (xBf16 ? " (x as bf16)" : "") + " on " + backend,
                want, read(d, h), tol);
    }
}
