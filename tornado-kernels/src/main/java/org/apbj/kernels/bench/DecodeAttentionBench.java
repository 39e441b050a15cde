package org.apbj.kernels.bench;

import java.util.Locale;
import java.util.Random;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.lib.KernelOps;
import org.apbj.kernels.runtime.cuda.CudaDevice;

/**
 * Decode attention speed on a CUDA device, Llama-3.1-8B shape (32 query heads, 8 KV heads,
 * d = 128): one to sixteen query rows (decoding, the APB phase-2 query) against caches of 4K, 32K
 * and 128K tokens, on the decode kernel ({@link org.apbj.kernels.lib.DecodeAttention}, split over
 * keys and merged) and, for comparison, on the tensor-core prefill kernel. Each line: the median
 * of the timed runs (CUDA events) after a warm-up, GB/s of K and V read once, and that as a
 * fraction of the device's copy bandwidth measured in the same run ({@link RuntimeBench#deviceCopy};
 * the target: at least 0.70 at 128K); each line also as a JSON object ({"bench":
 * "decode_attention", ...}). With one query row it also
 * times a single call between two host synchronisations ({@code timing=host-sync}, as
 * AttentionBench's decode line does: launch and synchronisation latency included), and at the end
 * the marginal GB/s from 32K to 128K (the streaming rate, fixed costs per call cancelled).
 * PyTorch SDPA on the decode shape: scripts/peer/sdpa_attention.py in the same run.
 */
public final class DecodeAttentionBench {
    private static final int HEADS = 32;
    private static final int KV_HEADS = 8;
    private static final int HEAD_DIM = 128;

    public static void main(String[] args) {
        try (CudaDevice dev = CudaDevice.open(0)) {
            System.out.println("device: " + dev.name());
            double copy = RuntimeBench.deviceCopy(dev, 2L << 30, 10);
            System.out.printf(Locale.ROOT, "copy bandwidth: %.0f GB/s (device-to-device, read + write)%n", copy);
            java.util.Map<String, Double> usAt = new java.util.HashMap<>();
            for (int cache : new int[] {4096, 32768, 131072}) {
                Random r = new Random(42);
                long keys = cache;
                BF16Array k = dev.upload(bf16Gaussians(r, keys * KV_HEADS * HEAD_DIM));
                BF16Array v = dev.upload(bf16Gaussians(r, keys * KV_HEADS * HEAD_DIM));
                double kvBytes = 2.0 * keys * KV_HEADS * HEAD_DIM * 2;
                for (int nq : new int[] {1, 4, 16}) {
                    F32Array q = dev.upload(gaussians(r, (long) nq * HEADS * HEAD_DIM, 0.5f));
                    F32Array out = dev.allocF32((long) nq * HEADS * HEAD_DIM);
                    F32Array lse = dev.allocF32((long) nq * HEADS);
                    for (String kernel : new String[] {"decode", "tensor-core-prefill"}) {
                        boolean decodeKernel = !kernel.equals("tensor-core-prefill");
                        if (!decodeKernel && nq != 1) continue;
                        try (KernelOps ops = new KernelOps(dev)) {
                            ops.decodeAttention(decodeKernel);
                            // nq new rows at the end of the cache, causal among themselves
                            int p = cache - nq;
                            // one cache (a layer's): at 4K it stays in L2 between launches, so that figure is high
                            double ms = MatvecBench.median(dev, 1,
                                    i -> ops.attention(q, nq, k, v, p, 0, nq, true, HEADS, KV_HEADS, HEAD_DIM, out, lse));
                            if (decodeKernel) usAt.put(key(cache, nq), ms * 1000);
                            report(kernel, "device-batched", cache, nq, ms, kvBytes, copy);
                            if (decodeKernel && nq == 1) {
                                double[] host = new double[11];
                                for (int i = 0; i < host.length; i++) {
                                    dev.synchronize();
                                    long t0 = System.nanoTime();
                                    ops.attention(q, nq, k, v, p, 0, nq, true, HEADS, KV_HEADS, HEAD_DIM, out, lse);
                                    dev.synchronize();
                                    host[i] = (System.nanoTime() - t0) / 1e6;
                                }
                                java.util.Arrays.sort(host);
                                report(kernel, "host-sync", cache, nq, host[host.length / 2], kvBytes, copy);
                            }
                        }
                    }
                    q.close();
                    out.close();
                    lse.close();
                }
                k.close();
                v.close();
            }
            double dUs = usAt.get(key(131072, 1)) - usAt.get(key(32768, 1));
            double gbs = 2.0 * (131072 - 32768) * KV_HEADS * HEAD_DIM * 2 / (dUs * 1e-6) / 1e9;
            System.out.printf(Locale.ROOT, "decode_attention_marginal from=32768 to=131072 rows=1 kv_gbs=%.0f of_copy=%.2f"
                    + " fixed_us_per_call=%.1f%n", gbs, gbs / copy,
                    usAt.get(key(131072, 1)) - 2.0 * 131072 * KV_HEADS * HEAD_DIM * 2 / (gbs * 1e9) * 1e6);
        }
    }

    private static String key(int cache, int nq) { return cache + "/" + nq; }

    private static void report(String kernel, String timing, int cache, int nq, double ms, double kvBytes, double copy) {
        double gbs = kvBytes / (ms * 1e-3) / 1e9;
        System.out.printf(Locale.ROOT,
                "decode_attention kernel=%s timing=%s cache=%d rows=%d us=%.1f kv_gbs=%.0f of_copy=%.2f%n",
                kernel, timing, cache, nq, ms * 1000, gbs, gbs / copy);
        RuntimeBench.emit("decode_attention", "kernel", kernel, "timing", timing, "cache", cache,
                "rows", nq, "heads", HEADS, "kv_heads", KV_HEADS, "head_dim", HEAD_DIM, "us", ms * 1000,
                "kv_bytes", kvBytes, "gbps", gbs, "copy_gbps", copy, "of_copy", gbs / copy, "goal_of_copy", 0.70);
    }

    private static F32Array gaussians(Random r, long n, float sigma) {
        F32Array a = F32Array.allocate(n);
        for (long i = 0; i < n; i++) a.set(i, (float) r.nextGaussian() * sigma);
        return a;
    }

    private static BF16Array bf16Gaussians(Random r, long n) {
        BF16Array a = BF16Array.allocate(n);
        for (long i = 0; i < n; i++) a.setFloat(i, (float) r.nextGaussian());
        return a;
    }
}
