package org.apbj.kernels.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.lib.KernelOps;
import org.apbj.kernels.runtime.cuda.CudaDevice;

/**
 * GEMM speed on a CUDA device for the Llama-3.1-8B prefill shapes (rows × n × k): the Hopper
 * kernel (bf16 x, fp32 and bf16 output) and the mma.sync kernel (fp32 x). One line per case:
 * median milliseconds of the timed runs after a warm-up, TFLOP/s at 2·rows·n·k. The peer
 * (cuBLAS through torch.matmul) is timed by scripts/peer/cublas_gemm.py in the same run.
 * Usage: {@code GemmBench} (the table; {@code -Dapbj.bench.shapes=16384x4096x4096,...}
 * times only those of its shapes).
 */
public final class GemmBench {
    static final int[][] SHAPES = {{16384, 4096, 14336}, {16384, 14336, 4096}, {16384, 4096, 4096}, {16384, 6144, 4096},
            {4096, 128256, 4096}};
    private static final int REPS = 7;
    /**
     * Which kernels to time ({@code -Dapbj.bench.gemm=tma,tma-pingpong,tma-pingpong-128,cp-async,mma-sync},
     * default tma and cp-async): the Hopper GEMMs KernelOps can pick
     * ({@link KernelOps#GEMM_KERNEL_PROPERTY}; the ping-pong one with 192- or 128-column tiles,
     * {@link KernelOps#PINGPONG_COLUMNS_PROPERTY}) and the sm_80 one (fp32 x, on the shapes that
     * fit a quick run).
     */
    private static final java.util.List<String> KERNELS =
            java.util.List.of(System.getProperty("apbj.bench.gemm", "tma,cp-async").split(","));

    /** The shapes to time, as rows x n x k ({@code -Dapbj.bench.shapes}); empty: all of {@link #SHAPES}. */
    private static final java.util.List<String> ONLY_SHAPES = onlyShapes(System.getProperty("apbj.bench.shapes", ""));

    private static java.util.List<String> onlyShapes(String asked) {
        if (asked.isBlank()) return java.util.List.of();
        java.util.List<String> known = Arrays.stream(SHAPES).map(s -> s[0] + "x" + s[1] + "x" + s[2]).toList();
        java.util.List<String> shapes = java.util.List.of(asked.split(","));
        for (String shape : shapes) {
            if (!known.contains(shape)) {
                throw new IllegalArgumentException("-Dapbj.bench.shapes: " + shape + " is not one of GemmBench's shapes "
                        + known);
            }
        }
        return shapes;
    }

    public static void main(String[] args) {
        try (CudaDevice dev = CudaDevice.open(0)) {
            System.out.println("device: " + dev.name() + " target " + dev.target());
            KernelOps ops = new KernelOps(dev, 1024, true);
            Random r = new Random(7);
            for (int[] s : SHAPES) {
                int rows = s[0], n = s[1], k = s[2];
                if (!ONLY_SHAPES.isEmpty() && !ONLY_SHAPES.contains(rows + "x" + n + "x" + k)) continue;
                BF16Array x = dev.upload(BF16Array.fromFloats(gaussians(r, (long) rows * k)));
                BF16Array w = dev.upload(BF16Array.fromFloats(gaussians(r, (long) n * k)));
                F32Array y = dev.allocF32((long) rows * n);
                BF16Array yb = dev.allocBF16((long) rows * n);
                for (String kernel : java.util.List.of("tma", "tma-pingpong", "tma-pingpong-128", "cp-async")) {
                    if (!ops.hasBf16InputGemm() || !KERNELS.contains(kernel)) continue;
                    boolean narrow = kernel.equals("tma-pingpong-128");
                    System.setProperty(KernelOps.GEMM_KERNEL_PROPERTY, narrow ? "tma-pingpong" : kernel);
                    if (narrow) System.setProperty(KernelOps.PINGPONG_COLUMNS_PROPERTY, "128");
                    report(kernel + "-f32out", rows, n, k, 1, time(dev, () -> ops.matmul(y, 0, x, 0, w, null, rows, n, k, false)));
                    report(kernel + "-bf16out", rows, n, k, 1, time(dev, () -> ops.matmulBf16Out(yb, 0, x, 0, w, null, rows, n, k)));
                    if (n == 14336 && k == 4096) {
                        // the FFN's fused gate/up: W = gate and up, each [n, k], two products per output
                        report(kernel + "-swiglu", rows, n, k, 2, time(dev, () -> ops.matmulSwiGlu(yb, x, w, w, rows, n, k)));
                    }
                    System.clearProperty(KernelOps.GEMM_KERNEL_PROPERTY);
                    System.clearProperty(KernelOps.PINGPONG_COLUMNS_PROPERTY);
                }
                if (KERNELS.contains("mma-sync") && n * (long) k < 200_000_000L) {
                    F32Array xf = dev.allocF32((long) rows * k);
                    report("mma-sync-f32in", rows, n, k, 1, time(dev, () -> ops.matmul(y, 0, xf, 0, w, null, rows, n, k, false)));
                    xf.close();
                }
                x.close(); w.close(); y.close(); yb.close();
            }
            ops.close();
        }
    }

    private static double time(CudaDevice dev, Runnable launch) {
        double[] ms = new double[REPS];
        for (int i = -1; i < REPS; i++) {
            dev.synchronize();
            long t0 = System.nanoTime();
            launch.run();
            dev.synchronize();
            if (i >= 0) ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return ms[REPS / 2];
    }

    /** {@code products}: weight matrices multiplied per output (2 for the fused gate/up). */
    private static void report(String kernel, int rows, int n, int k, int products, double ms) {
        System.out.printf(Locale.ROOT, "gemm kernel=%s shape=%dx%dx%d ms=%.3f tflops=%.1f%n", kernel, rows, n, k, ms,
                2.0 * products * rows * n * k / (ms * 1e-3) / 1e12);
    }

    private static float[] gaussians(Random r, long n) {
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * 0.5);
        return v;
    }
}
