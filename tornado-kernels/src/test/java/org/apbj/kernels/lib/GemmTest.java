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
 * Projections y = x·Wᵀ (+ bias) (+ y) against an fp64 reference on the same (bf16-exact)
 * inputs. Error bound per element: fp32 accumulation of k products (with fma) is within
 * γ_k·Σ|x·w| (Higham), γ_k ≈ k·u; a bf16 output adds half a bf16 ulp of the value.
 */
@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class GemmTest {

    static Iterable<Backend> backends() { return LibTesting.backends(); }

    /** Tiled path: rows, n and k that are not multiples of the tiles; row offsets; bias; accumulate. */
    @ParameterizedTest
    @MethodSource("backends")
    void tiledMatmulMatchesReference(Backend backend) {
        Random r = random("tiledMatmulMatchesReference " + backend);
        check(backend, r, 150, 200, 72, true, true, false);
        check(backend, r, 9, 130, 33, false, false, false);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void tiledMatmulBf16Output(Backend backend) {
        Random r = random("tiledMatmulBf16Output " + backend);
        check(backend, r, 70, 96, 48, true, false, true);
    }

    /** Few rows: the warp-per-column path, for every row count it specialises. */
    @ParameterizedTest
    @MethodSource("backends")
    void matvecMatchesReference(Backend backend) {
        Random r = random("matvecMatchesReference " + backend);
        check(backend, r, 1, 300, 200, false, false, false);
        check(backend, r, 3, 77, 100, true, true, false);
        check(backend, r, 8, 41, 68, false, true, false);
        check(backend, r, 1, 51, 64, true, false, true);
        // past one unrolled chunk (32 lanes · 8 words · 4 = 1024 columns) with a word-by-word tail
        check(backend, r, 2, 19, 1024 + 36, true, true, false);
        check(backend, r, 1, 1, 4, false, false, false);
    }

    /**
     * Tensor-core path ({@link GemmTc}, forced on every device): the reference rounds x to bf16
     * as the kernel does, so only the fp32 accumulation differs (tensor cores sum in their own
     * order: twice the fp32 bound). Edges in rows, n and k (odd k: a half-empty last pair).
     */
    @ParameterizedTest
    @MethodSource("backends")
    void tensorCoreMatmulMatchesReference(Backend backend) {
        Random r = random("tensorCoreMatmulMatchesReference " + backend);
        check(backend, r, 150, 200, 72, true, true, false, true);
        check(backend, r, 9, 130, 33, false, false, false, true);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void tensorCoreMatmulBf16Output(Backend backend) {
        Random r = random("tensorCoreMatmulBf16Output " + backend);
        check(backend, r, 70, 96, 48, true, false, true, true);
    }

    /** A realistic depth (a 4096-wide hidden state) on the tensor-core path: for the GPU tests. */
    void tensorCoreMatmulDeep(Backend backend) {
        Random r = random("tensorCoreMatmulDeep " + backend);
        check(backend, r, 300, 520, 4096, true, false, false, true);
    }

    private static void check(Backend backend, Random r, int rows, int n, int k, boolean bias, boolean accumulate,
                              boolean bf16Out) {
        check(backend, r, rows, n, k, bias, accumulate, bf16Out, false);
    }

    private static void check(Backend backend, Random r, int rows, int n, int k, boolean bias, boolean accumulate,
                              boolean bf16Out, boolean tensorCores) {
        Device d = device(backend);
        KernelOps ops = new KernelOps(d, REDUCTION_THREADS, tensorCores);
        int xRow0 = 2;
        int yRow0 = 3;
        float[] x = gaussians(r, (xRow0 + rows) * k, 1.0);
        float[] w = bf16Gaussians(r, n * k, 0.05);
        float[] b = bf16Gaussians(r, n, 0.5);
        float[] y0 = gaussians(r, (yRow0 + rows + 1) * n, 1.0);

        double[] want = new double[y0.length];
        double[] tol = new double[y0.length];
        for (int i = 0; i < y0.length; i++) want[i] = bf16Out ? roundBf16(y0[i]) : y0[i];
        for (int t = 0; t < rows; t++) {
            for (int c = 0; c < n; c++) {
                double sum = 0;
                double abs = 0;
                for (int j = 0; j < k; j++) {
                    float xv = x[(xRow0 + t) * k + j];
                    double p = (double) (tensorCores ? roundBf16(xv) : xv) * w[c * k + j];
                    sum += p;
                    abs += Math.abs(p);
                }
                if (bias) {
                    sum += b[c];
                    abs += Math.abs(b[c]);
                }
                int at = (yRow0 + t) * n + c;
                if (accumulate) {
                    sum += y0[at];
                    abs += Math.abs(y0[at]);
                }
                want[at] = sum;
                tol[at] = (tensorCores ? 2 : 1) * (k + 2) * 1.01 * EPS32 * abs + (bf16Out ? EPS_BF16 * Math.abs(sum) : 0) + 1e-30;
            }
        }
        F32Array xd = f32(d, x);
        BF16Array wd = bf16(d, w);
        BF16Array bd = bias ? bf16(d, b) : null;
        float[] got;
        if (bf16Out) {
            BF16Array yd = bf16(d, toBf16(y0));
            ops.matmulBf16Out(yd, yRow0, xd, xRow0, wd, bd, rows, n, k);
            d.synchronize();
            got = read(d, yd);
        } else {
            F32Array yd = f32(d, y0);
            ops.matmul(yd, yRow0, xd, xRow0, wd, bd, rows, n, k, accumulate);
            d.synchronize();
            got = read(d, yd);
        }
        assertClose("y (" + rows + "x" + n + "x" + k + ", bias " + bias + ", accumulate " + accumulate + ", bf16 "
                + bf16Out + (tensorCores ? ", tensor cores" : "") + ") on " + backend, want, got, tol);
    }

    private static float[] toBf16(float[] v) {
        float[] o = new float[v.length];
        for (int i = 0; i < v.length; i++) o[i] = roundBf16(v[i]);
        return o;
    }
}
