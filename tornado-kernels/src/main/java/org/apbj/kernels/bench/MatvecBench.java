package org.apbj.kernels.bench;

import java.util.Arrays;
import java.util.Locale;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.lib.KernelOps;
import org.apbj.kernels.lib.Rope;
import org.apbj.kernels.runtime.cuda.CudaDevice;

/**
 * Few-row product speed on a CUDA device for the Llama-3.1-8B decode shapes, next to the
 * device's copy bandwidth measured in the same run ({@link RuntimeBench#deviceCopy}: 2 GiB
 * device-to-device, bytes read + written). One token per step: q/k/v in one launch with RoPE
 * and the cache write (4096 → 6144, {@link KernelOps#matvecQkvRope}), o (4096 → 4096, residual
 * accumulate), gate/up with SwiGLU (4096 → 2×14336), down (14336 → 4096, accumulate) and the LM
 * head (4096 → 128256); the plain shapes also at 8 rows (short phase-2 queries). Each line: the
 * median of {@value #REPS} timed runs (CUDA events) after one warm-up, GB/s of the bytes the
 * kernel must move (weights, x, y; y twice when accumulated), and that as a fraction of the copy
 * bandwidth; then the five decode shapes summed as a per-token estimate (32 layers + LM head).
 * Human-readable lines, then the same as JSON objects ({"bench": "matvec", ...}).
 * torch.matmul on the same shapes: scripts/peer/torch_matvec.py.
 */
public final class MatvecBench {
    private static final int REPS = 20;
    private static final int HIDDEN = 4096, INTER = 14336, VOCAB = 128256, HEADS = 32, KV_HEADS = 8, HEAD_DIM = 128;
    private static final int LAYERS = 32;

    public static void main(String[] args) {
        try (CudaDevice dev = CudaDevice.open(0)) {
            System.out.println("device: " + dev.name());
            double copy = RuntimeBench.deviceCopy(dev, 2L << 30, 10);
            System.out.printf(Locale.ROOT, "copy bandwidth: %.0f GB/s (device-to-device, read + write)%n", copy);
            KernelOps ops = new KernelOps(dev);
            double perLayerUs = 0, headUs = 0;
            perLayerUs += qkv(dev, ops, copy);
            String[] names = {"o", "gate+up+swiglu", "down", "lm_head"};
            int[][] shapes = {{HIDDEN, HIDDEN}, {INTER, HIDDEN}, {HIDDEN, INTER}, {VOCAB, HIDDEN}};
            for (int rows : new int[] {1, 8}) {
                for (int s = 0; s < shapes.length; s++) {
                    double us = plain(dev, ops, copy, names[s], rows, shapes[s][0], shapes[s][1]);
                    if (rows == 1 && s < 3) perLayerUs += us;
                    if (rows == 1 && s == 3) headUs = us;
                }
            }
            double tokenMs = (LAYERS * perLayerUs + headUs) / 1000;
            double weightBytes = LAYERS * 2.0 * HIDDEN * (HIDDEN + 2.0 * KV_HEADS * HEAD_DIM + HIDDEN + 3.0 * INTER)
                    + 2.0 * VOCAB * HIDDEN;
            System.out.printf(Locale.ROOT, "decode matvecs per token (32 layers + lm_head, rows 1): %.3f ms, %.0f GB/s of weights,"
                    + " %.2f of copy%n", tokenMs, weightBytes / (tokenMs * 1e-3) / 1e9, weightBytes / (tokenMs * 1e-3) / 1e9 / copy);
            RuntimeBench.emit("matvec_decode_token", "layers", LAYERS, "per_layer_us", perLayerUs, "lm_head_us", headUs,
                    "ms_per_token", tokenMs, "weight_bytes", weightBytes, "gbps", weightBytes / (tokenMs * 1e-3) / 1e9,
                    "of_copy", weightBytes / (tokenMs * 1e-3) / 1e9 / copy);
            ops.close();
        }
    }

    /** The decode step's fused q/k/v product (one row), RoPE and cache write included. */
    private static double qkv(CudaDevice dev, KernelOps ops, double copy) {
        int qDim = HEADS * HEAD_DIM, kvDim = KV_HEADS * HEAD_DIM;
        try (BF16Array wq = dev.allocBF16((long) qDim * HIDDEN); BF16Array wk = dev.allocBF16((long) kvDim * HIDDEN);
             BF16Array wv = dev.allocBF16((long) kvDim * HIDDEN); F32Array x = dev.allocF32(HIDDEN);
             F32Array q = dev.allocF32(qDim); BF16Array kCache = dev.allocBF16(2L * kvDim);
             BF16Array vCache = dev.allocBF16(2L * kvDim); I32Array step = dev.upload(I32Array.fromArray(1));
             F32Array inv = dev.upload(F32Array.fromArray(Rope.inverseFrequencies(HEAD_DIM, 500000.0, 0, 0, 0, 0)))) {
            double ms = median(dev, () -> ops.matvecQkvRope(q, kCache, vCache, step, x, wq, wk, wv, null, null, null, inv,
                    HEADS, KV_HEADS, HEAD_DIM, HIDDEN));
            double bytes = 2.0 * (qDim + 2.0 * kvDim) * HIDDEN + 4.0 * HIDDEN + 4.0 * qDim + 2 * 2.0 * kvDim;
            return report("qkv+rope+cache", 1, qDim + 2 * kvDim, HIDDEN, ms, bytes, copy);
        }
    }

    private static double plain(CudaDevice dev, KernelOps ops, double copy, String name, int rows, int n, int k) {
        boolean gated = name.startsWith("gate");
        boolean accumulate = name.equals("o") || name.equals("down");
        BF16Array w = dev.allocBF16((long) n * k), w2 = gated ? dev.allocBF16((long) n * k) : null;
        F32Array x = dev.allocF32((long) rows * k), y = dev.allocF32((long) rows * n);
        try {
            Runnable once = gated ? () -> ops.matvecSwiGlu(y, x, 0, w, w2, rows, n, k)
                    : () -> ops.matmul(y, 0, x, 0, w, null, rows, n, k, accumulate);
            double ms = median(dev, once);
            double bytes = (gated ? 2.0 : 1.0) * n * k * 2 + 4.0 * rows * k + (accumulate ? 2 : 1) * 4.0 * rows * n;
            return report(name, rows, gated ? 2 * n : n, k, ms, bytes, copy);
        } finally {
            w.close();
            if (w2 != null) w2.close();
            x.close();
            y.close();
        }
    }

    /** Prints the human line and the JSON line; returns the time in µs. */
    private static double report(String shape, int rows, int n, int k, double ms, double bytes, double copy) {
        double gbs = bytes / (ms * 1e-3) / 1e9;
        System.out.printf(Locale.ROOT, "matvec shape=%s rows=%d n=%d k=%d us=%.1f gbs=%.0f of_copy=%.2f%n",
                shape, rows, n, k, ms * 1000, gbs, gbs / copy);
        RuntimeBench.emit("matvec", "shape", shape, "rows", rows, "n", n, "k", k, "us", ms * 1000, "bytes", bytes,
                "gbps", gbs, "copy_gbps", copy, "of_copy", gbs / copy, "goal_of_copy", 0.80);
        return ms * 1000;
    }

    static double median(CudaDevice dev, Runnable work) {
        work.run();
        double[] ms = new double[REPS];
        for (int i = 0; i < REPS; i++) ms[i] = dev.timeMillis(work);
        Arrays.sort(ms);
        return ms[REPS / 2];
    }
}
