package org.apbj.kernels.bench;

import java.util.Locale;
import java.util.Random;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.lib.FlashAttentionFa2;
import org.apbj.kernels.lib.FlashAttentionHopperWs;
import org.apbj.kernels.lib.KernelOps;
import org.apbj.kernels.runtime.cuda.CudaDevice;

/**
 * Attention speed on a CUDA device, the Llama-3.1-8B shape (32 query heads, 8 KV heads, d = 128):
 * causal prefill at several lengths, the APB [P;A;B] mask at the 128K / 8-host block shape, and
 * decode (one query against a long cache), for the wgmma kernels (on sm_90a devices: the
 * single-role one and the warp-specialised pipelined one), the two mma.sync kernels (run on
 * Hopper too: {@code tensor-core} is {@link org.apbj.kernels.lib.FlashAttention}, {@code
 * tensor-core-fa2[:FORM]} {@link org.apbj.kernels.lib.FlashAttentionFa2} in any {@link FlashAttentionFa2.Form},
 * e.g. {@code tensor-core-fa2:original}) and the fp32 one; the pipelined one with any
 * {@link FlashAttentionHopperWs.Schedule} ({@code hopper-pipelined:original}, {@code
 * hopper-pipelined:s3+longest-first}, ...) and with either producer ({@code hopper-pipelined...}:
 * cp.async, {@code hopper-tma[:SCHEDULE]}: bulk tensor copies, {@link FlashAttentionHopperWs#attentionTma};
 * {@code hopper-tma-persistent[:SCHEDULE]}: its persistent form, {@link FlashAttentionHopperWs#attentionTmaPersistent},
 * {@code hopper-tma-persistent-q[:SCHEDULE]}: that with Q stored ahead by the producer warpgroup)
 * to time them in one run. Besides causal at each length: the APB shape and the last 4096-row chunk of a 32K prefill
 * ({@code mask=chunk}: 4096 causal rows after 28672 cached keys). Inputs are made once per shape
 * and every kernel runs on them. Prints one line per case: milliseconds (median of the timed
 * runs after one warm-up), TFLOP/s counting only the visible (unmasked) query-key pairs at 4·d
 * FLOPs each, and for decode GB/s of K and V read once. The peer (PyTorch SDPA) is timed by scripts/peer/sdpa_attention.py in the same run.
 * Usage: {@code AttentionBench [lengths...]} (default 4096 16384 32768 65536); system property
 * {@code apbj.bench.attentionKernels} (comma-separated, default all) picks the kernels.
 */
public final class AttentionBench {
    private static final int HEADS = 32;
    private static final int KV_HEADS = 8;
    private static final int HEAD_DIM = 128;
    private static final int REPS = 5;

    public static void main(String[] args) {
        int[] lengths = args.length == 0 ? new int[] {4096, 16384, 32768, 65536}
                : java.util.Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        try (CudaDevice dev = CudaDevice.open(0)) {
            System.out.println("device: " + dev.name());
            // hopper: FlashAttentionHopper (wgmma, sm_90a only); hopper-pipelined: FlashAttentionHopperWs
            // with its cp.async producer, hopper-tma: with its TMA producer (either with :SCHEDULE, a
            // FlashAttentionHopperWs.Schedule spec, e.g. hopper-tma:s3), hopper-tma-persistent: the TMA
            // producer's persistent form (one group per SM walking the work items), hopper-tma-persistent-q: that
            // with each item's Q stored ahead by the producer warpgroup; tensor-core: FlashAttention
            // (mma.sync, 16 rows per warp); tensor-core-fa2: FlashAttentionFa2 (mma.sync, FlashAttention-2's
            // layout); fp32: Attention
            String kernels = System.getProperty("apbj.bench.attentionKernels", "hopper,hopper-tma,hopper-pipelined,tensor-core-fa2,tensor-core,fp32");
            java.util.Map<String, KernelOps> ops = new java.util.LinkedHashMap<>();
            for (String kernel : kernels.split(",")) {
                int colon = kernel.indexOf(':');
                String base = colon >= 0 ? kernel.substring(0, colon) : kernel;
                if (!java.util.List.of("hopper", "hopper-pipelined", "hopper-tma", "hopper-tma-persistent",
                        "hopper-tma-persistent-q", "tensor-core", "tensor-core-fa2", "fp32").contains(base)
                        || (colon >= 0 && !pipelined(base) && !base.equals("tensor-core-fa2"))) {
                    throw new IllegalArgumentException("attention kernel '" + kernel + "': use hopper, hopper-pipelined[:SCHEDULE],"
                            + " hopper-tma[:SCHEDULE], hopper-tma-persistent[-q][:SCHEDULE], tensor-core, tensor-core-fa2[:FORM] or fp32");
                }
                boolean hopper = base.startsWith("hopper");
                if (hopper && !dev.capabilities().warpGroupMma()) continue;
                KernelOps o = new KernelOps(dev, 1024, !base.equals("fp32")).useHopperAttention(hopper)
                        .usePipelinedAttention(pipelined(base)).useTmaAttentionProducer(base.startsWith("hopper-tma"))
                        .usePersistentAttention(base.startsWith("hopper-tma-persistent"))
                        .persistentQByProducer(base.equals("hopper-tma-persistent-q"))
                        .useFa2Attention(base.equals("tensor-core-fa2"));
                if (colon >= 0 && pipelined(base)) o.usePipelinedSchedule(FlashAttentionHopperWs.Schedule.parse(kernel.substring(colon + 1)));
                if (colon >= 0 && !pipelined(base)) o.useFa2Form(FlashAttentionFa2.Form.parse(kernel.substring(colon + 1)));
                ops.put(kernel, o);
            }
            // One upload per shape, every kernel on it (the inputs take longer to make than to attend).
            for (int n : lengths) run(dev, ops, "causal", n, 0, 0, n, true);
            run(dev, ops, "apb", 0, 14336, 4096, 16384, true);
            run(dev, ops, "chunk", 0, 28672, 0, 4096, true);   // the last 4096-row chunk of a 32K prefill
            run(dev, ops, "decode", 1, 131072 - 1, 0, 1, true);
            ops.values().forEach(KernelOps::close);
        }
    }

    /** The shape on every kernel of {@code ops} that times it (fp32 only to 16K; decode once). */
    private static void run(CudaDevice dev, java.util.Map<String, KernelOps> ops, String mask, int n, int p, int a,
                            int b, boolean causal) {
        java.util.List<String> kernels = ops.keySet().stream()
                .filter(k -> !(k.equals("fp32") && n > 16384))   // the fp32 kernel takes minutes there; 16K tells its rate
                // decode runs DecodeAttention whatever the prefill kernel: once, unless only pipelined ones are timed
                .filter(k -> !mask.equals("decode") || !pipelined(k.split(":")[0]))
                .limit(mask.equals("decode") ? 1 : Long.MAX_VALUE).toList();
        if (kernels.isEmpty()) return;
        int nq = a + b;
        long keys = (long) p + a + b;
        Random r = new Random(42);
        F32Array q = dev.upload(gaussians(r, (long) nq * HEADS * HEAD_DIM, 0.5f));
        BF16Array k = dev.upload(bf16Gaussians(r, keys * KV_HEADS * HEAD_DIM));
        BF16Array v = dev.upload(bf16Gaussians(r, keys * KV_HEADS * HEAD_DIM));
        F32Array out = dev.allocF32((long) nq * HEADS * HEAD_DIM);
        F32Array lse = dev.allocF32((long) nq * HEADS);
        for (String kernel : kernels) run(dev, ops.get(kernel), kernel, mask, n, p, a, b, causal, q, k, v, out, lse);
        q.close(); k.close(); v.close(); out.close(); lse.close();
    }

    /** Whether the kernel name (before any ':SCHEDULE') is a form of FlashAttentionHopperWs. */
    private static boolean pipelined(String base) {
        return base.equals("hopper-pipelined") || base.startsWith("hopper-tma");
    }

    /** nq query rows; keys [P ; A ; B]; decode: p = cache, b = 1 new token. */
    private static void run(CudaDevice dev, KernelOps ops, String kernel, String mask, int n, int p, int a, int b,
                            boolean causal, F32Array q, BF16Array k, BF16Array v, F32Array out, F32Array lse) {
        int nq = a + b;
        long keys = (long) p + a + b;
        double[] ms = new double[REPS];
        for (int i = -1; i < REPS; i++) {
            dev.synchronize();
            long t0 = System.nanoTime();
            ops.attention(q, nq, k, v, p, a, b, causal, HEADS, KV_HEADS, HEAD_DIM, out, lse);
            dev.synchronize();
            if (i >= 0) ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        java.util.Arrays.sort(ms);
        double median = ms[REPS / 2];
        // visible pairs: anchor row i sees i + 1 keys, B row j sees p + a + j + 1
        double pairs = (double) a * (a + 1) / 2 + (double) b * (p + a) + (double) b * (b + 1) / 2;
        double tflops = 4.0 * HEAD_DIM * HEADS * pairs / (median * 1e-3) / 1e12;
        double gbs = 2.0 * keys * KV_HEADS * HEAD_DIM * 2 / (median * 1e-3) / 1e9;
        System.out.println(String.format(Locale.ROOT,
                "attention kernel=%s mask=%s length=%d p=%d a=%d b=%d ms=%.3f tflops=%.1f kv_gbs=%.0f",
                kernel, mask, n == 0 ? keys : n, p, a, b, median, tflops, gbs));
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
