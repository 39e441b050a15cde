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
 * The fused few-row product against an fp64 reference on fresh random inputs: SwiGLU on the
 * gate and up rows ({@link Matvec#matvecSwiGlu}). Shapes are ragged: n not a multiple of the rows per group, k past
 * one unrolled chunk with a word-by-word tail. The plain product is in {@link GemmTest}.
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
        checkSwiGlu(backend, r, 1, 37, 1024 + 36);
        checkSwiGlu(backend, r, 3, 9, 68);
        checkSwiGlu(backend, r, 8, 20, 260);
    }

    /** Widths the 8-byte loads cannot serve are refused with the reason, not read misaligned. */
    @Test
    void kNotMultipleOfFourIsRefused() {
        Device d = device(Backend.JAVA);
        KernelOps ops = new KernelOps(d, REDUCTION_THREADS, false);
        F32Array x = d.allocF32(65), y = d.allocF32(4);
        BF16Array w = d.allocBF16(4 * 65);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ops.matmul(y, 0, x, 0, w, null, 1, 4, 65, false));
        assertTrue(e.getMessage().contains("multiple of 4"), e.getMessage());
    }

    private static void checkSwiGlu(Backend backend, Random r, int rows, int n, int k) {
        Device d = device(backend);
        int xRow0 = 1;
        float[] x = gaussians(r, (xRow0 + rows) * k, 1.0);
        float[] gate = bf16Gaussians(r, n * k, 0.05), up = bf16Gaussians(r, n * k, 0.05);
        double[] want = new double[rows * n], tol = new double[rows * n];
        for (int t = 0; t < rows; t++) {
            for (int c = 0; c < n; c++) {
                double g = 0, gAbs = 0, u = 0, uAbs = 0;
                for (int j = 0; j < k; j++) {
                    double xv = x[(xRow0 + t) * k + j];
                    g += xv * gate[c * k + j];
                    gAbs += Math.abs(xv * gate[c * k + j]);
                    u += xv * up[c * k + j];
                    uAbs += Math.abs(xv * up[c * k + j]);
                }
                double silu = g / (1 + Math.exp(-g));
                want[t * n + c] = silu * u;
                double eg = (k + 2) * 1.01 * EPS32 * gAbs, eu = (k + 2) * 1.01 * EPS32 * uAbs;
                tol[t * n + c] = 1.1 * eg * (Math.abs(u) + eu) + Math.abs(silu) * eu + 8 * EPS32 * Math.abs(silu * u) + 1e-30;
            }
        }
        F32Array h = d.allocF32((long) rows * n);
        new KernelOps(d, REDUCTION_THREADS, false).matvecSwiGlu(h, f32(d, x), xRow0, bf16(d, gate), bf16(d, up), rows, n, k);
        d.synchronize();
        assertClose("swiglu(x·gateᵀ, x·upᵀ) " + rows + "x" + n + "x" + k + " on " + backend, want, read(d, h), tol);
    }
}
