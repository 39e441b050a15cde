package org.apbj.kernels.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.DeviceArray;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.lib.KernelOps;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.Marker;
import org.apbj.kernels.runtime.cuda.CudaDevice;

/**
 * The retaining heads' share of one APB prefill layer on a CUDA device, Llama-3.1-8B shape
 * (32 query heads, 8 KV heads, d = 128, hidden 4096, FFN 14336, heads' width R = 1024), for the
 * rank that selects with the longest passing block: a context of C tokens on H ranks gives blocks
 * B = C/H, the default anchor l_a = min(B/4, max(8192, B/8)) and passing length l_p = B/8 (the
 * parallel module's rule), so rank H−2 computes l_a + B rows, excludes the first 2·l_a from
 * selection, picks l_p per KV head and attends over P = (H−2)·l_p passed keys.
 *
 * <p>One layer runs as the model runs it with bf16 activations (on wgmma devices): input norm, q/k/v
 * projections, retaining scores (q, k, v packed to bf16, fc1 on the bf16 GEMM, SiLU·fc2 and the
 * max-pool fused), top-k, gather, attention over [A ; B] and over P with the merge, output
 * projection, post norm, gate/up with SwiGLU, down projection. RoPE and the all-gather are left
 * out (a few ms of elementwise work and copies at most). Each part is timed between device marks;
 * one line per part (median ms of the timed runs after a warm-up) and the retaining share:
 * (scores + top-k + gather) / the layer's timed parts. The fp32 path the heads ran on before is
 * timed once beside it, and the two paths' selections are compared (how many of the chosen
 * rows agree: bf16 rounding of q moves near-ties only), with the device top-k checked against a
 * host sort of the same scores. Usage: {@code RetainingBench [contextTokens] [ranks]} (default
 * 131072 4).
 */
public final class RetainingBench {
    private static final int REPS = 5;
    private final int reps;

    /** Model widths: query heads, KV heads, head dim, hidden, FFN intermediate, the heads' width R. */
    public record Shape(int heads, int kvHeads, int headDim, int hidden, int inter, int r) {
        public static final Shape LLAMA_8B = new Shape(32, 8, 128, 4096, 14336, 1024);
        int qDim() { return heads * headDim; }
        int kvDim() { return kvHeads * headDim; }
        int in() { return qDim() + 2 * kvDim(); }
    }

    public static void main(String[] args) {
        int context = args.length > 0 ? Integer.parseInt(args[0]) : 131072;
        int ranks = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        try (CudaDevice dev = CudaDevice.open(0)) {
            System.out.println("device: " + dev.name() + " target " + dev.target());
            KernelOps ops = new KernelOps(dev);
            if (!ops.hasBf16InputGemm()) throw new IllegalStateException("this bench runs the bf16-activation layer: it needs wgmma (sm_90a)");
            run(dev, ops, Shape.LLAMA_8B, context, ranks, 8192, REPS);
            ops.close();
        }
    }

    /**
     * Runs the bench (printing its lines) on any device with the bf16-input GEMM; anchorCap is
     * the default rule's 8192 (smaller for tiny shapes in tests); reps timed runs follow one warm-up. Returns the retaining share of
     * the timed layer, in percent.
     */
    public static double run(Device dev, KernelOps ops, Shape shape, int context, int ranks, int anchorCap, int reps) {
        if (ranks < 2) throw new IllegalArgumentException("ranks must be >= 2 (rank H-2 selects), got " + ranks);
        int b = context / ranks;
        int la = roundTo16(Math.min(b / 4, Math.max(anchorCap, b / 8)));
        int lp = roundTo16(b / 8);
        int rank = ranks - 2;
        int rows = la + b, p = rank * lp, exclude = 2 * la;
        System.out.printf(Locale.ROOT, "shape: context %d on %d ranks, rank %d: rows %d (l_a %d + B %d), P %d, l_p %d, excluded %d%n",
                context, ranks, rank, rows, la, b, p, lp, exclude);
        return new RetainingBench(dev, ops, shape, rows, la, b, p, lp, exclude, reps).run();
    }

    private static int roundTo16(int v) { return v >= 16 ? v / 16 * 16 : v; }

    private final Device dev;
    private final int nHeads, nKv, hd, dim, inter, width, qDim, kvDim, inWidth;
    private final KernelOps ops;
    private final int rows, a, b, p, lp, exclude;
    private final List<DeviceArray> owned = new ArrayList<>();
    private final SplittableRandom rnd = new SplittableRandom(11);
    private final Map<String, double[]> times = new LinkedHashMap<>();

    // weights
    private final BF16Array inNorm, postNorm, wq, wk, wv, wo, gate, up, down, fc1, fc2;
    // activations
    private final F32Array x, q, out, lse, outP, lseP, hidden, scores, scoresFp32;
    private final BF16Array normed, attnBf16, h, packed, k, v, passK, passV, sendK, sendV;
    private final I32Array picked, pickedFp32;

    private RetainingBench(Device dev, KernelOps ops, Shape shape, int rows, int a, int b, int p, int lp, int exclude, int reps) {
        this.reps = reps;
        nHeads = shape.heads(); nKv = shape.kvHeads(); hd = shape.headDim(); dim = shape.hidden();
        inter = shape.inter(); width = shape.r(); qDim = shape.qDim(); kvDim = shape.kvDim(); inWidth = shape.in();
        this.dev = dev; this.ops = ops; this.rows = rows; this.a = a; this.b = b; this.p = p; this.lp = lp; this.exclude = exclude;
        inNorm = bf16Uniform(dim, 1.0f, 1.0f);
        postNorm = bf16Uniform(dim, 1.0f, 1.0f);
        float s = 0.02f;
        wq = bf16Uniform((long) qDim * dim, 0, s);
        wk = bf16Uniform((long) kvDim * dim, 0, s);
        wv = bf16Uniform((long) kvDim * dim, 0, s);
        wo = bf16Uniform((long) dim * qDim, 0, s);
        gate = bf16Uniform((long) inter * dim, 0, s);
        up = bf16Uniform((long) inter * dim, 0, s);
        down = bf16Uniform((long) dim * inter, 0, s);
        fc1 = bf16Uniform((long) width * inWidth, 0, s);
        fc2 = bf16Uniform((long) nKv * width, 0, 0.05f);
        x = own(dev.upload(f32Uniform((long) rows * dim)));
        q = own(dev.allocF32((long) rows * qDim));
        out = own(dev.allocF32((long) rows * qDim));
        lse = own(dev.allocF32((long) rows * nHeads));
        outP = own(dev.allocF32((long) rows * qDim));
        lseP = own(dev.allocF32((long) rows * nHeads));
        hidden = own(dev.allocF32((long) rows * width));
        scores = own(dev.allocF32((long) rows * nKv));
        scoresFp32 = own(dev.allocF32((long) rows * nKv));
        normed = own(dev.allocBF16((long) rows * dim));
        attnBf16 = own(dev.allocBF16((long) rows * qDim));
        h = own(dev.allocBF16((long) rows * inter));
        // as the model does: the FFN intermediate is idle while the heads score, when it is wide enough
        packed = inter >= inWidth ? h : own(dev.allocBF16((long) rows * inWidth));
        k = own(dev.allocBF16((long) rows * kvDim));
        v = own(dev.allocBF16((long) rows * kvDim));
        passK = bf16Uniform((long) Math.max(p, 1) * kvDim, 0, 1.0f);
        passV = bf16Uniform((long) Math.max(p, 1) * kvDim, 0, 1.0f);
        sendK = own(dev.allocBF16((long) lp * kvDim));
        sendV = own(dev.allocBF16((long) lp * kvDim));
        picked = own(dev.allocI32((long) nKv * lp));
        pickedFp32 = own(dev.allocI32((long) nKv * lp));
    }

    private double run() {
        layer(false);   // warm-up: compiles and loads every kernel
        for (int i = 0; i < reps; i++) layer(true);
        double retaining = 0, total = 0;
        for (Map.Entry<String, double[]> e : times.entrySet()) {
            double ms = median(e.getValue());
            total += ms;
            if (e.getKey().startsWith("retaining")) retaining += ms;
            System.out.printf(Locale.ROOT, "part=%s ms=%.3f%n", e.getKey(), ms);
        }
        double attention = median(times.get("attention [A;B]")) + median(times.get("attention P + merge"));
        System.out.printf(Locale.ROOT, "retaining ms=%.3f attention ms=%.3f layer ms=%.3f retaining/attention=%.1f%% share=%.2f%%%n",
                retaining, attention, total, 100 * retaining / attention, 100 * retaining / total);
        compareWithFp32Path();
        owned.forEach(DeviceArray::close);
        return 100 * retaining / total;
    }

    private void layer(boolean timed) {
        part(timed, "qkv", () -> {
            ops.rmsNormBf16(normed, 0, x, 0, inNorm, rows, dim, 1e-5f);
            ops.matmul(q, 0, normed, 0, wq, null, rows, qDim, dim, false);
            ops.matmulBf16Out(k, 0, normed, 0, wk, null, rows, kvDim, dim);
            ops.matmulBf16Out(v, 0, normed, 0, wv, null, rows, kvDim, dim);
        });
        part(timed, "retaining scores", () -> ops.retainingScoresBf16(q, k, v, 0, rows, fc1, fc2, nHeads, nKv, hd,
                packed, hidden, scores));
        part(timed, "retaining top-k", () -> ops.topK(scores, rows, nKv, exclude, lp, picked));
        part(timed, "retaining gather", () -> ops.gatherKv(k, v, 0, picked, lp, nKv, hd, sendK, sendV, 0));
        part(timed, "attention [A;B]", () -> ops.attention(q, rows, k, v, 0, a, b, true, nHeads, nKv, hd, out, lse));
        part(timed, "attention P + merge", () -> {
            if (p == 0) return;
            ops.attention(q, rows, passK, passV, 0, 0, p, false, nHeads, nKv, hd, outP, lseP);
            ops.mergeAttention(out, lse, outP, lseP, rows, nHeads, hd);
        });
        part(timed, "o-proj + ffn", () -> {
            ops.toBf16(attnBf16, out, (long) rows * qDim);
            ops.matmul(x, 0, attnBf16, 0, wo, null, rows, dim, qDim, true);
            ops.rmsNormBf16(normed, 0, x, 0, postNorm, rows, dim, 1e-5f);
            ops.matmulSwiGlu(h, normed, gate, up, rows, inter, dim);
            ops.matmul(x, 0, h, 0, down, null, rows, dim, inter, true);
        });
    }

    private void part(boolean timed, String name, Runnable work) {
        Marker before = dev.mark();
        work.run();
        Marker after = dev.mark();
        long nanos = before.nanosUntil(after);
        before.close();
        after.close();
        if (!timed) return;
        double[] t = times.computeIfAbsent(name, n -> new double[0]);
        t = Arrays.copyOf(t, t.length + 1);
        t[t.length - 1] = nanos / 1e6;
        times.put(name, t);
    }

    /**
     * The fp32 path on the same q, k, v (the last layer run's): its time, and how its selection and
     * scores compare with the bf16 path's; the device top-k checked against a host sort.
     */
    private void compareWithFp32Path() {
        // q, k, v as the last timed layer left them are still the scores' inputs (the FFN wrote x and h only)
        ops.retainingScoresBf16(q, k, v, 0, rows, fc1, fc2, nHeads, nKv, hd, packed, hidden, scores);
        ops.topK(scores, rows, nKv, exclude, lp, picked);
        Marker before = dev.mark();
        ops.retainingScores(q, k, v, 0, rows, fc1, fc2, nHeads, nKv, hd, hidden, scoresFp32);
        Marker after = dev.mark();
        double fp32Ms = before.nanosUntil(after) / 1e6;
        before.close();
        after.close();
        ops.topK(scoresFp32, rows, nKv, exclude, lp, pickedFp32);
        float[] s16 = host(scores), s32 = host(scoresFp32);
        int[] i16 = host(picked), i32 = host(pickedFp32);
        double maxDiff = 0, range = 0;
        for (int i = 0; i < s16.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(s16[i] - s32[i]));
            range = Math.max(range, Math.abs(s32[i]));
        }
        int same = 0;
        for (int hh = 0; hh < nKv; hh++) {
            boolean[] chosen = new boolean[rows];
            for (int j = 0; j < lp; j++) chosen[i32[hh * lp + j]] = true;
            for (int j = 0; j < lp; j++) if (chosen[i16[hh * lp + j]]) same++;
        }
        System.out.printf(Locale.ROOT, "fp32 path (before): retaining scores ms=%.3f; bf16 vs fp32 scores max|diff| %.3g of max|s| %.3g;"
                + " selections agree on %d of %d rows (%.2f%%)%n", fp32Ms, maxDiff, range, same, nKv * lp, 100.0 * same / (nKv * lp));
        for (int hh = 0; hh < nKv; hh++) {
            int[] want = hostTopK(s16, hh);
            int[] got = Arrays.copyOfRange(i16, hh * lp, (hh + 1) * lp);
            if (!Arrays.equals(want, got)) throw new AssertionError("device top-k of head " + hh + " differs from a host sort of the same scores");
        }
        System.out.println("top-k check: every head's device selection equals a host sort of the same scores");
    }

    private int[] hostTopK(float[] s, int head) {
        Integer[] order = new Integer[rows - exclude];
        for (int t = exclude; t < rows; t++) order[t - exclude] = t;
        Arrays.sort(order, (x1, y1) -> {
            int c = Float.compare(s[y1 * nKv + head], s[x1 * nKv + head]);
            return c != 0 ? c : Integer.compare(x1, y1);
        });
        int[] top = new int[lp];
        for (int j = 0; j < lp; j++) top[j] = order[j];
        Arrays.sort(top);
        return top;
    }

    private float[] host(F32Array a) {
        try (F32Array h1 = F32Array.allocate(a.length())) {
            dev.copyOut(h1, a);
            return h1.toArray();
        }
    }

    private int[] host(I32Array a) {
        try (I32Array h1 = I32Array.allocate(a.length())) {
            dev.copyOut(h1, a);
            return h1.toArray();
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private <T extends DeviceArray> T own(T a) {
        owned.add(a);
        return a;
    }

    private F32Array f32Uniform(long n) {
        F32Array a = F32Array.allocate(n);
        for (long i = 0; i < n; i++) a.set(i, (float) (rnd.nextDouble() * 2 - 1));
        return a;
    }

    /** center ± spread, uniform, rounded to bf16, uploaded. */
    private BF16Array bf16Uniform(long n, float center, float spread) {
        BF16Array a = BF16Array.allocate(n);
        for (long i = 0; i < n; i++) a.setFloat(i, center + spread * (float) (rnd.nextDouble() * 2 - 1));
        return own(dev.upload(a));
    }
}
