package org.apbj.kernels.bench;

import java.util.Arrays;
import java.util.Locale;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.lib.KernelOps;
import org.apbj.kernels.runtime.cuda.CudaDevice;

/**
 * Few-row product speed on a CUDA device for the Llama-3.1-8B decode shapes (q/o 4096×4096, k/v
 * 1024×4096, the fused gate+up+SwiGLU 2×14336×4096, down 4096×14336, lm_head 128256×4096) at 1
 * and 8 rows, next to the device's copy bandwidth measured in the same run (a 2 GiB device-to-
 * device copy: bytes read + written). Each line: the median of {@value #REPS} timed runs (CUDA
 * events) after one warm-up, the weight bytes streamed per microsecond as GB/s, and that as a
 * fraction of the copy bandwidth. torch.matmul on the same shapes: scripts/peer/torch_matvec.py.
 */
public final class MatvecBench {
    private static final int REPS = 20;

    public static void main(String[] args) {
        try (CudaDevice dev = CudaDevice.open(0)) {
            System.out.println("device: " + dev.name());
            double copy = copyBandwidth(dev);
            System.out.printf(Locale.ROOT, "copy bandwidth: %.0f GB/s (device-to-device, read + write)%n", copy);
            KernelOps ops = new KernelOps(dev);
            int[][] shapes = {{4096, 4096}, {1024, 4096}, {14336, 4096}, {4096, 14336}, {128256, 4096}};
            String[] names = {"q/o", "k/v", "gate+up+swiglu", "down", "lm_head"};
            for (int rows : new int[] {1, 8}) {
                for (int s = 0; s < shapes.length; s++) {
                    int n = shapes[s][0], k = shapes[s][1];
                    boolean gated = names[s].startsWith("gate");
                    BF16Array w = dev.allocBF16((long) n * k), w2 = gated ? dev.allocBF16((long) n * k) : null;
                    F32Array x = dev.allocF32((long) rows * k), y = dev.allocF32((long) rows * n);
                    Runnable once = gated ? () -> ops.matvecSwiGlu(y, x, 0, w, w2, rows, n, k)
                            : () -> ops.matmul(y, 0, x, 0, w, null, rows, n, k, false);
                    double ms = median(dev, once);
                    double bytes = (gated ? 2.0 : 1.0) * n * k * 2;
                    double gbs = bytes / (ms * 1e-3) / 1e9;
                    System.out.printf(Locale.ROOT, "matvec shape=%s rows=%d n=%d k=%d us=%.1f gbs=%.0f of_copy=%.2f%n",
                            names[s], rows, n, k, ms * 1000, gbs, gbs / copy);
                    w.close();
                    if (w2 != null) w2.close();
                    x.close();
                    y.close();
                }
            }
            ops.close();
        }
    }

    /** GB/s of a device-to-device copy of 2 GiB, counting the bytes read and written. */
    static double copyBandwidth(CudaDevice dev) {
        long n = 1L << 30;   // bf16 elements: 2 GiB
        try (BF16Array a = dev.allocBF16(n); BF16Array b = dev.allocBF16(n)) {
            double ms = median(dev, () -> dev.enqueueCopy(b, 0, a, 0, n));
            return 2.0 * n * 2 / (ms * 1e-3) / 1e9;
        }
    }

    static double median(CudaDevice dev, Runnable work) {
        work.run();
        double[] ms = new double[REPS];
        for (int i = 0; i < REPS; i++) ms[i] = dev.timeMillis(work);
        Arrays.sort(ms);
        return ms[REPS / 2];
    }
}
