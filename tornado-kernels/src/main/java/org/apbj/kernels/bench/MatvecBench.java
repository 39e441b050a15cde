package org.apbj.kernels.bench;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

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
 * median of {@value #REPS} timed runs (CUDA events, {@value #BATCH} launches each) after one warm-up, GB/s of the bytes the
 * kernel must move (weights, x, y; y twice when accumulated), and that as a fraction of the copy
 * bandwidth; then the five decode shapes summed as a per-token estimate (32 layers + LM head).
 * Human-readable lines, then the same as JSON objects ({"bench": "matvec", ...}).
 * torch.matmul on the same shapes: scripts/peer/torch_matvec.py.
 *
 * <p>Arguments: the forms to time side by side in this one run (default: the one the system
 * properties select, {@code current}): {@code old} (the unsplit {@link org.apbj.kernels.lib.Matvec}
 * kernels), {@code split} (k split per shape for one row), {@code tc} (split, and
 * {@link org.apbj.kernels.lib.MatvecTc} for 2-8 rows), {@code tc-all} (tensor cores for the
 * one-row plain products too). Each form prints its lines ({@code form=}), its per-token sums
 * for one row and for eight (an eight-row step: q/k/v as one 6144-wide product, no RoPE), and
 * at the end a table of of_copy per shape and form.
 */
public final class MatvecBench {
    private static final int REPS = 20;
    private static final int HIDDEN = 4096, INTER = 14336, VOCAB = 128256, HEADS = 32, KV_HEADS = 8, HEAD_DIM = 128;
    private static final int LAYERS = 32;

    public static void main(String[] args) {
        List<String> forms = args.length == 0 ? List.of("current") : List.of(args);
        try (CudaDevice dev = CudaDevice.open(0)) {
            System.out.println("device: " + dev.name());
            double copy = RuntimeBench.deviceCopy(dev, 2L << 30, 10);
            System.out.printf(Locale.ROOT, "copy bandwidth: %.0f GB/s (device-to-device, read + write)%n", copy);
            Map<String, Map<String, Double>> ofCopy = new LinkedHashMap<>();
            for (String form : forms) {
                try (KernelOps ops = new KernelOps(dev)) {
                    configure(ops, form);
                    Map<String, Double> table = new LinkedHashMap<>();
                    ofCopy.put(form, table);
                    double[] layerUs = new double[2], headUs = new double[2];
                    int[] rowCounts = {1, 8};
                    for (int ri = 0; ri < 2; ri++) {
                        int rows = rowCounts[ri];
                        layerUs[ri] += rows == 1 ? qkv(dev, ops, copy, form, table)
                                : plain(dev, ops, copy, form, table, "qkv", rows, HEADS * HEAD_DIM + 2 * KV_HEADS * HEAD_DIM, HIDDEN);
                        for (int s = 0; s < NAMES.length; s++) {
                            double us = plain(dev, ops, copy, form, table, NAMES[s], rows, SHAPES[s][0], SHAPES[s][1]);
                            if (s < 3) layerUs[ri] += us;
                            else headUs[ri] = us;
                        }
                    }
                    for (int ri = 0; ri < 2; ri++) token(form, rowCounts[ri], layerUs[ri], headUs[ri], copy, table);
                }
            }
            System.out.println("of_copy by shape (rows) and form:");
            System.out.printf(Locale.ROOT, "  %-24s%s%n", "shape", String.join("", forms.stream().map(f -> String.format(Locale.ROOT, "%10s", f)).toList()));
            for (String shape : ofCopy.get(forms.get(0)).keySet()) {
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-24s", shape));
                for (String f : forms) line.append(String.format(Locale.ROOT, "%10.2f", ofCopy.get(f).getOrDefault(shape, Double.NaN)));
                System.out.println(line);
            }
        }
    }

    private static final String[] NAMES = {"o", "gate+up+swiglu", "down", "lm_head"};
    private static final int[][] SHAPES = {{HIDDEN, HIDDEN}, {INTER, HIDDEN}, {HIDDEN, INTER}, {VOCAB, HIDDEN}};

    /** Sets ops to a form of the few-row products (see the class comment). */
    private static void configure(KernelOps ops, String form) {
        switch (form) {
            case "current" -> { }
            case "old" -> ops.useMatvecSplit("off").useMatvecTensorCores("false");
            case "split" -> ops.useMatvecSplit("auto").useMatvecTensorCores("false");
            case "tc" -> ops.useMatvecSplit("auto").useMatvecTensorCores("true");
            case "tc-all" -> ops.useMatvecSplit("auto").useMatvecTensorCores("all");
            default -> throw new IllegalArgumentException("MatvecBench form '" + form
                    + "': the forms are current, old, split, tc, tc-all");
        }
    }

    /** The per-token sum of one decode step's products at this row count (32 layers + LM head). */
    private static void token(String form, int rows, double layerUs, double headUs, double copy, Map<String, Double> table) {
        double tokenMs = (LAYERS * layerUs + headUs) / 1000;
        double weightBytes = LAYERS * 2.0 * HIDDEN * (HIDDEN + 2.0 * KV_HEADS * HEAD_DIM + HIDDEN + 3.0 * INTER)
                + 2.0 * VOCAB * HIDDEN;
        double gbps = weightBytes / (tokenMs * 1e-3) / 1e9;
        System.out.printf(Locale.ROOT, "decode matvecs per step form=%s (32 layers + lm_head, rows %d): %.3f ms, %.0f GB/s of weights,"
                + " %.2f of copy%n", form, rows, tokenMs, gbps, gbps / copy);
        table.put("per step (" + rows + ")", gbps / copy);
        RuntimeBench.emit("matvec_decode_token", "form", form, "rows", rows, "layers", LAYERS, "per_layer_us", layerUs,
                "lm_head_us", headUs, "ms_per_token", tokenMs, "weight_bytes", weightBytes, "gbps", gbps, "of_copy", gbps / copy);
    }

    /**
     * Copies of a weight of {@code bytes} to cycle through so that back-to-back launches read at
     * least {@value #STREAMED_BYTES} bytes and cannot find their weights in L2 (50 MB), as in a
     * decode step, where every layer reads other weights.
     */
    private static int copies(double bytes) { return (int) Math.max(1, Math.ceil(STREAMED_BYTES / bytes)); }

    private static final double STREAMED_BYTES = 256e6;

    /** The decode step's fused q/k/v product (one row), RoPE and cache write included. */
    private static double qkv(CudaDevice dev, KernelOps ops, double copy, String form, Map<String, Double> table) {
        int qDim = HEADS * HEAD_DIM, kvDim = KV_HEADS * HEAD_DIM;
        double bytes = 2.0 * (qDim + 2.0 * kvDim) * HIDDEN + 4.0 * HIDDEN + 4.0 * qDim + 2 * 2.0 * kvDim;
        int c = copies(bytes);
        BF16Array[] wq = new BF16Array[c], wk = new BF16Array[c], wv = new BF16Array[c];
        for (int i = 0; i < c; i++) {
            wq[i] = dev.allocBF16((long) qDim * HIDDEN);
            wk[i] = dev.allocBF16((long) kvDim * HIDDEN);
            wv[i] = dev.allocBF16((long) kvDim * HIDDEN);
        }
        try (F32Array x = dev.allocF32(HIDDEN);
             F32Array q = dev.allocF32(qDim); BF16Array kCache = dev.allocBF16(2L * kvDim);
             BF16Array vCache = dev.allocBF16(2L * kvDim); I32Array step = dev.upload(I32Array.fromArray(1));
             F32Array inv = dev.upload(F32Array.fromArray(Rope.inverseFrequencies(HEAD_DIM, 500000.0, 0, 0, 0, 0)))) {
            double ms = median(dev, c, i -> ops.matvecQkvRope(q, kCache, vCache, step, x, wq[i], wk[i], wv[i], null, null, null,
                    inv, HEADS, KV_HEADS, HEAD_DIM, HIDDEN));
            return report(form, ops.describeMatvec("qkv-rope", 1, qDim + 2 * kvDim, HIDDEN), table, "qkv+rope+cache", 1,
                    qDim + 2 * kvDim, HIDDEN, ms, bytes, copy);
        } finally {
            for (int i = 0; i < c; i++) { wq[i].close(); wk[i].close(); wv[i].close(); }
        }
    }

    private static double plain(CudaDevice dev, KernelOps ops, double copy, String form, Map<String, Double> table,
                                String name, int rows, int n, int k) {
        boolean gated = name.startsWith("gate");
        boolean accumulate = name.equals("o") || name.equals("down");
        double bytes = (gated ? 2.0 : 1.0) * n * k * 2 + 4.0 * rows * k + (accumulate ? 2 : 1) * 4.0 * rows * n;
        int c = copies(bytes);
        BF16Array[] w = new BF16Array[c], w2 = new BF16Array[c];
        for (int i = 0; i < c; i++) {
            w[i] = dev.allocBF16((long) n * k);
            w2[i] = gated ? dev.allocBF16((long) n * k) : null;
        }
        F32Array x = dev.allocF32((long) rows * k), y = dev.allocF32((long) rows * n);
        try {
            java.util.function.IntConsumer once = gated ? i -> ops.matvecSwiGlu(y, x, 0, w[i], w2[i], rows, n, k)
                    : i -> ops.matmul(y, 0, x, 0, w[i], null, rows, n, k, accumulate);
            double ms = median(dev, c, once);
            return report(form, ops.describeMatvec(gated ? "swiglu" : "plain", rows, n, k), table, name, rows,
                    gated ? 2 * n : n, k, ms, bytes, copy);
        } finally {
            for (int i = 0; i < c; i++) {
                w[i].close();
                if (w2[i] != null) w2[i].close();
            }
            x.close();
            y.close();
        }
    }

    /** Prints the human line and the JSON line; returns the time in µs. */
    private static double report(String form, String kernel, Map<String, Double> table, String shape, int rows, int n,
                                 int k, double ms, double bytes, double copy) {
        double gbs = bytes / (ms * 1e-3) / 1e9;
        System.out.printf(Locale.ROOT, "matvec form=%s shape=%s rows=%d n=%d k=%d us=%.1f gbs=%.0f of_copy=%.2f (%s)%n",
                form, shape, rows, n, k, ms * 1000, gbs, gbs / copy, kernel);
        table.put(shape + " (" + rows + ")", gbs / copy);
        RuntimeBench.emit("matvec", "form", form, "kernel", kernel, "shape", shape, "rows", rows, "n", n, "k", k, "us", ms * 1000,
                "bytes", bytes, "gbps", gbs, "copy_gbps", copy, "of_copy", gbs / copy, "goal_of_copy", 0.80);
        return ms * 1000;
    }

    /**
     * Median milliseconds of one launch: each timed run (CUDA events) enqueues {@value #BATCH}
     * launches back to back, cycling through the {@code copies} weight copies, so that the host's
     * launch latency overlaps the kernels as in a decode step and only device time is counted.
     */
    static double median(CudaDevice dev, int copies, java.util.function.IntConsumer launch) {
        Runnable batch = () -> {
            for (int i = 0; i < BATCH; i++) launch.accept(i % copies);
        };
        batch.run();
        double[] ms = new double[REPS];
        for (int i = 0; i < REPS; i++) ms[i] = dev.timeMillis(batch) / BATCH;
        Arrays.sort(ms);
        return ms[REPS / 2];
    }

    private static final int BATCH = 32;
}
