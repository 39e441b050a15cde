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
        check(backend, r, 3, 77, 104, true, true, false);
        check(backend, r, 8, 41, 72, false, true, false);
        check(backend, r, 1, 51, 64, true, false, true);
        // past one unrolled chunk (32 lanes · 4 words · 8 = 1024 columns) with a word-by-word tail
        check(backend, r, 2, 19, 1024 + 40, true, true, false);
        check(backend, r, 1, 1, 8, false, false, false);
    }

    /**
     * The 8B decode shapes at one row (o: 4096×4096 accumulate, down: 4096×14336 accumulate,
     * k/v: 1024×4096 bf16 out, the LM head's width in a 16384-row slice): the full-size chunk
     * loop and many groups. Too slow for the Java device; CudaKernelsTest runs it.
     */
    void matvecDecodeShapes(Backend backend) {
        Random r = random("matvecDecodeShapes " + backend);
        check(backend, r, 1, 4096, 4096, false, true, false);
        check(backend, r, 1, 4096, 14336, false, true, false);
        check(backend, r, 1, 1024, 4096, false, false, true);
        check(backend, r, 1, 16384, 4096, false, false, false);
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

    /**
     * The bf16-input GEMM ({@link GemmWgmma}; its Java bodies on Java and OpenCL, wgmma on sm_90a):
     * x is bf16 in memory, so the reference is exact up to the fp32 accumulation order. Edges in
     * rows, n and k (k a multiple of 8 but not of the 64-deep slices), row offsets, bias,
     * accumulate, bf16 output; several k-slices so the pipeline's stages wrap around.
     */
    @ParameterizedTest
    @MethodSource("backends")
    void bf16InputMatmulMatchesReference(Backend backend) {
        Random r = random("bf16InputMatmulMatchesReference " + backend);
        checkBf16Input(backend, r, 150, 300, 72, true, true, false);
        checkBf16Input(backend, r, 9, 40, 328, false, false, false);
        checkBf16Input(backend, r, 130, 264, 40, true, false, true);
    }

    /**
     * On the Java device, the cp.async kernel with the GPU's 256-row tiles too (KernelOps gives
     * the Java device the TMA kernel by default).
     */
    @org.junit.jupiter.api.Test
    void singleRoleBf16InputMatmulOnJava() {
        Random r = random("singleRoleBf16InputMatmulOnJava");
        System.setProperty(KernelOps.GEMM_KERNEL_PROPERTY, "cp-async");
        try {
            checkBf16Input(Backend.JAVA, r, 300, 300, 136, true, true, false);
            checkSwiGlu(Backend.JAVA, r, 270, 200, 72);
        } finally {
            System.clearProperty(KernelOps.GEMM_KERNEL_PROPERTY);
        }
    }

    /**
     * The ping-pong TMA GEMM ({@link GemmTmaPingPong}) on the Java device, both tile widths:
     * every epilogue, ragged rows, n and k; shapes where the two groups own odd and even numbers
     * of tiles, so each consumer runs several tiles and the turns pass both ways.
     */
    @org.junit.jupiter.api.Test
    void pingPongBf16InputMatmulOnJava() {
        for (String width : new String[] {"192", "128"}) {
            Random r = random("pingPongBf16InputMatmulOnJava " + width);
            withPingPong(width, () -> {
                checkBf16Input(Backend.JAVA, r, 300, 400, 136, true, true, false);
                checkBf16Input(Backend.JAVA, r, 130, 264, 40, true, false, true);
                checkBf16Input(Backend.JAVA, r, 9, 40, 72, false, false, false);
                checkSwiGlu(Backend.JAVA, r, 270, 200, 72);
            });
        }
    }

    /** Runs {@code body} with KernelOps picking the ping-pong GEMM with tiles {@code width} columns wide. */
    static void withPingPong(String width, Runnable body) {
        System.setProperty(KernelOps.GEMM_KERNEL_PROPERTY, "tma-pingpong");
        System.setProperty(KernelOps.PINGPONG_COLUMNS_PROPERTY, width);
        try {
            body.run();
        } finally {
            System.clearProperty(KernelOps.GEMM_KERNEL_PROPERTY);
            System.clearProperty(KernelOps.PINGPONG_COLUMNS_PROPERTY);
        }
    }

    /**
     * For the GPU tests: more tiles than an H200 has multiprocessors (132), so that groups own
     * one, two or three tiles and both consumers of a group run; ragged in rows, n and k.
     */
    void bf16InputMatmulManyTiles(Backend backend) {
        Random r = random("bf16InputMatmulManyTiles " + backend);
        checkBf16Input(backend, r, 1100, 4000, 136, true, true, false);
        checkBf16Input(backend, r, 1100, 3000, 200, false, false, true);
        checkSwiGlu(backend, r, 1100, 3000, 136);
    }

    /**
     * The fused gate/up + SwiGLU GEMM: h = silu(x·Wgᵀ)·(x·Wuᵀ) in bf16 against fp64; the bound
     * carries each product's accumulation bound through silu (|silu'| ≤ 1.1) and the product.
     */
    @ParameterizedTest
    @MethodSource("backends")
    void swiGluMatmulMatchesReference(Backend backend) {
        Random r = random("swiGluMatmulMatchesReference " + backend);
        checkSwiGlu(backend, r, 140, 200, 72);
    }

    void swiGluMatmulDeep(Backend backend) {
        Random r = random("swiGluMatmulDeep " + backend);
        checkSwiGlu(backend, r, 300, 700, 4096);
    }

    private static void checkSwiGlu(Backend backend, Random r, int rows, int inter, int k) {
        Device d = device(backend);
        KernelOps ops = new KernelOps(d, REDUCTION_THREADS);
        float[] x = bf16Gaussians(r, rows * k, 1.0);
        float[] wg = bf16Gaussians(r, inter * k, 0.05);
        float[] wu = bf16Gaussians(r, inter * k, 0.05);
        double[] want = new double[rows * inter];
        double[] tol = new double[rows * inter];
        for (int t = 0; t < rows; t++) {
            for (int c = 0; c < inter; c++) {
                double g = 0, u = 0, ga = 0, ua = 0;
                for (int j = 0; j < k; j++) {
                    double xv = x[t * k + j];
                    g += xv * wg[c * k + j];
                    u += xv * wu[c * k + j];
                    ga += Math.abs(xv * wg[c * k + j]);
                    ua += Math.abs(xv * wu[c * k + j]);
                }
                double silu = g / (1 + Math.exp(-g));
                want[t * inter + c] = silu * u;
                double eg = 2 * (k + 2) * 1.01 * EPS32 * ga, eu = 2 * (k + 2) * 1.01 * EPS32 * ua;
                tol[t * inter + c] = 1.1 * eg * (Math.abs(u) + eu) + Math.abs(silu) * eu + 4 * EPS32 * Math.abs(silu * u)
                        + EPS_BF16 * Math.abs(silu * u) + 1e-30;
            }
        }
        BF16Array hd = d.allocBF16((long) rows * inter);
        ops.matmulSwiGlu(hd, bf16(d, x), bf16(d, wg), bf16(d, wu), rows, inter, k);
        d.synchronize();
        assertClose("swiglu h (" + rows + "x" + inter + "x" + k + ") on " + backend, want, read(d, hd), tol);
    }

    /** Larger, deeper shapes for the GPU tests (several tiles in each direction, 64 k-slices). */
    void bf16InputMatmulDeep(Backend backend) {
        Random r = random("bf16InputMatmulDeep " + backend);
        checkBf16Input(backend, r, 300, 520, 4096, true, true, false);
        checkBf16Input(backend, r, 257, 1000, 1032, false, false, true);
    }

    private static void checkBf16Input(Backend backend, Random r, int rows, int n, int k, boolean bias, boolean accumulate,
                                       boolean bf16Out) {
        check(backend, r, rows, n, k, bias, accumulate, bf16Out, Path.BF16_INPUT);
    }

    /** A realistic depth (a 4096-wide hidden state) on the tensor-core path: for the GPU tests. */
    void tensorCoreMatmulDeep(Backend backend) {
        Random r = random("tensorCoreMatmulDeep " + backend);
        check(backend, r, 300, 520, 4096, true, false, false, true);
    }

    private static void check(Backend backend, Random r, int rows, int n, int k, boolean bias, boolean accumulate,
                              boolean bf16Out) {
        check(backend, r, rows, n, k, bias, accumulate, bf16Out, Path.FP32);
    }

    private static void check(Backend backend, Random r, int rows, int n, int k, boolean bias, boolean accumulate,
                              boolean bf16Out, boolean tensorCores) {
        check(backend, r, rows, n, k, bias, accumulate, bf16Out, tensorCores ? Path.TENSOR_CORES : Path.FP32);
    }

    /** The projection kernels KernelOps.matmul chooses from, by what x is and how it is multiplied. */
    private enum Path {
        /** fp32 x on fp32 units. */
        FP32,
        /** fp32 x rounded to bf16 as it is staged ({@link GemmTc}). */
        TENSOR_CORES,
        /** bf16 x in memory ({@link GemmWgmma}). */
        BF16_INPUT
    }

    private static void check(Backend backend, Random r, int rows, int n, int k, boolean bias, boolean accumulate,
                              boolean bf16Out, Path path) {
        Device d = device(backend);
        KernelOps ops = path == Path.BF16_INPUT ? new KernelOps(d, REDUCTION_THREADS)
                : new KernelOps(d, REDUCTION_THREADS, path == Path.TENSOR_CORES);
        check(ops, backend, r, rows, n, k, bias, accumulate, bf16Out, path);
    }

    /**
     * A few-row product on the kernels ops is set to choose ({@link MatvecTest}: split k, tensor
     * cores), against the same fp64 reference: xBf16 when the kernel rounds x to bf16.
     */
    static void checkFewRows(KernelOps ops, Backend backend, Random r, int rows, int n, int k, boolean bias,
                             boolean accumulate, boolean bf16Out, boolean xBf16) {
        check(ops, backend, r, rows, n, k, bias, accumulate, bf16Out, xBf16 ? Path.TENSOR_CORES : Path.FP32);
    }

    private static void check(KernelOps ops, Backend backend, Random r, int rows, int n, int k, boolean bias,
                              boolean accumulate, boolean bf16Out, Path path) {
        Device d = ops.device();
        int xRow0 = 2;
        int yRow0 = 3;
        float[] x = path == Path.BF16_INPUT ? bf16Gaussians(r, (xRow0 + rows) * k, 1.0) : gaussians(r, (xRow0 + rows) * k, 1.0);
        float[] w = bf16Gaussians(r, n * k, 0.05);
        float[] b = bf16Gaussians(r, n, 0.5);
        float[] y0 = gaussians(r, (yRow0 + rows + 1) * n, 1.0);

        // tensor cores sum in their own order: twice the fp32 bound; x is used as the kernel sees it
        int orderFactor = path == Path.FP32 ? 1 : 2;
        double[] want = new double[y0.length];
        double[] tol = new double[y0.length];
        for (int i = 0; i < y0.length; i++) want[i] = bf16Out ? roundBf16(y0[i]) : y0[i];
        for (int t = 0; t < rows; t++) {
            for (int c = 0; c < n; c++) {
                double sum = 0;
                double abs = 0;
                for (int j = 0; j < k; j++) {
                    float xv = x[(xRow0 + t) * k + j];
                    double p = (double) (path == Path.TENSOR_CORES ? roundBf16(xv) : xv) * w[c * k + j];
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
                tol[at] = orderFactor * (k + 2) * 1.01 * EPS32 * abs + (bf16Out ? EPS_BF16 * Math.abs(sum) : 0) + 1e-30;
            }
        }
        BF16Array wd = bf16(d, w);
        BF16Array bd = bias ? bf16(d, b) : null;
        float[] got;
        if (bf16Out) {
            BF16Array yd = bf16(d, toBf16(y0));
            if (path == Path.BF16_INPUT) ops.matmulBf16Out(yd, yRow0, bf16(d, x), xRow0, wd, bd, rows, n, k);
            else ops.matmulBf16Out(yd, yRow0, f32(d, x), xRow0, wd, bd, rows, n, k);
            d.synchronize();
            got = read(d, yd);
        } else {
            F32Array yd = f32(d, y0);
            if (path == Path.BF16_INPUT) ops.matmul(yd, yRow0, bf16(d, x), xRow0, wd, bd, rows, n, k, accumulate);
            else ops.matmul(yd, yRow0, f32(d, x), xRow0, wd, bd, rows, n, k, accumulate);
            d.synchronize();
            got = read(d, yd);
        }
        assertClose("y (" + rows + "x" + n + "x" + k + ", bias " + bias + ", accumulate " + accumulate + ", bf16 "
                + bf16Out + ", " + path + ") on " + backend, want, got, tol);
    }

    private static float[] toBf16(float[] v) {
        float[] o = new float[v.length];
        for (int i = 0; i < v.length; i++) o[i] = roundBf16(v[i]);
        return o;
    }
}
