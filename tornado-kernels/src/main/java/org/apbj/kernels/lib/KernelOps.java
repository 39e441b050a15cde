package org.apbj.kernels.lib;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.DeviceArray;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.I64Array;
import org.apbj.kernels.api.TensorMap;
import org.apbj.kernels.api.Kernel;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.Grid;

/**
 * The library's kernels as calls on one device: each method checks its arguments (a clear
 * exception naming the problem), picks the launch geometry (and the variant: the tiled GEMM or
 * the warp-per-column product for a few rows) and launches. Launches are asynchronous like
 * {@link Device#launch}; {@link Device#synchronize()} waits. Not thread-safe: one per thread
 * (it keeps scratch memory for split attention; {@link #close()} frees it).
 */
public final class KernelOps implements AutoCloseable {
    /** Rows up to which projections use {@link Matvec} (memory-bound) instead of {@link Gemm}. */
    public static final int MATVEC_MAX_ROWS = Matvec.MAX_ROWS;
    private static final int ELEMENTWISE_THREADS = 256;
    private static final int MAX_ELEMENTWISE_GROUPS = 65536;

    /**
     * How the one-row products split k across the warps of a group: {@code off} (the default:
     * {@link Matvec}'s unsplit kernels), {@code auto} (per shape, {@link MatvecChoice#autoSplit}:
     * about 8K warps, each streaming at least one unrolled chunk) or a forced 1, 2, 4 or 8; a
     * forced value also sets the split of the tensor-core products.
     */
    public static final String MATVEC_SPLIT_PROPERTY = "apbj.matvec.split";

    /**
     * Which few-row products run on tensor cores ({@link MatvecTc}, x rounded to bf16):
     * {@code false} (the default), {@code true} (2 to 8 rows) or {@code all} (1 to 8 rows, the
     * fused q/k/v + RoPE product excepted).
     */
    public static final String MATVEC_TC_PROPERTY = "apbj.matvec.tc";

    /** Set to true to keep projections on the fp32 kernels on CUDA too ({@code -Dapbj.gemm.fp32=true}). */
    public static final String FP32_GEMM_PROPERTY = "apbj.gemm.fp32";

    /**
     * Prefill attention runs on the Hopper kernel ({@link FlashAttentionHopper}, wgmma) on devices
     * that have wgmma, unless this property is false ({@code -Dapbj.attention.hopper=false}): on the H200
     * it measured 1.45× the speed of {@link FlashAttention} (0.99× PyTorch SDPA flash at 32K causal).
     */
    public static final String HOPPER_ATTENTION_PROPERTY = "apbj.attention.hopper";

    /**
     * The Hopper attention runs in its warp-specialised, pipelined form ({@link FlashAttentionHopperWs}:
     * a producer warpgroup, two consumers taking turns on the tensor cores, each consumer's softmax
     * under its own P·V product; 1.35× SDPA at 32K causal on the H200, where the single-role
     * kernel was 0.97×) unless {@code -Dapbj.attention.pipelined=false}; same results to fp32
     * rounding. OpenCL has no hand-offs between work-items and keeps {@link FlashAttentionHopper}.
     */
    public static final String PIPELINED_ATTENTION_PROPERTY = "apbj.attention.pipelined";

    /**
     * The mma.sync prefill attention (the tensor-core kernel off wgmma devices, or with the Hopper
     * one off): {@code fa2} ({@link FlashAttentionFa2}: FlashAttention-2's layout, 32 rows per
     * warp, Q re-read from shared memory, two groups per multiprocessor; the default, 1.20–1.32×
     * the other on the H200) or {@code original} ({@link FlashAttention}: 16 query rows per warp,
     * Q in registers, three groups), e.g. {@code -Dapbj.attention.sm80=original}. Same results to
     * fp32 rounding.
     */
    public static final String SM80_ATTENTION_PROPERTY = "apbj.attention.sm80";
    /**
     * The {@link FlashAttentionFa2.Form} of {@link FlashAttentionFa2} (softmax max instruction,
     * lazy O rescale, padded or swizzled tiles, K/V ring depth), e.g. {@code
     * -Dapbj.attention.fa2Form=original} or {@code fast-max+lazy-rescale+swizzle+s3}; default
     * {@link FlashAttentionFa2.Form#DEFAULT}. Same results to fp32 rounding.
     */
    public static final String FA2_FORM_PROPERTY = "apbj.attention.fa2Form";
    /**
     * The {@link FlashAttentionHopperWs.Schedule} of the pipelined attention (K/V ring depth,
     * causal launch order, per-consumer key ranges), e.g. {@code -Dapbj.attention.schedule=s3+longest-first};
     * default {@link FlashAttentionHopperWs.Schedule#DEFAULT}. Same results either way.
     */
    public static final String ATTENTION_SCHEDULE_PROPERTY = "apbj.attention.schedule";

    /**
     * How {@link FlashAttentionHopperWs}'s producer feeds K and V: {@code tma} (the default: one
     * work-item's bulk tensor copies, {@link FlashAttentionHopperWs#attentionTma}; 1.12–1.17× the
     * cp.async producer at causal 16K–64K on the H200, same call) or {@code cp-async} (a
     * warpgroup's 16-byte copies, {@link FlashAttentionHopperWs#attention}), e.g.
     * {@code -Dapbj.attention.producer=cp-async}. Same results either way.
     */
    public static final String ATTENTION_PRODUCER_PROPERTY = "apbj.attention.producer";

    /**
     * The TMA-fed attention runs as a persistent kernel ({@link FlashAttentionHopperWs#attentionTmaPersistent}:
     * one group per multiprocessor walking the work items, the K/V ring going on from item to
     * item) with {@code -Dapbj.attention.persistent=true} (each consumer stores its rows of the
     * next item's Q) or {@code =q-by-producer} (two warps of the producer warpgroup store the
     * next item's Q into a second buffer while the current item runs; two K/V stages only); off
     * ({@code false}) by default: on the H200 it was 4% faster at causal 16K but 12% slower at
     * 32K and on the APB mask (its order spreads the running groups over every head, more keys
     * than L2 holds). Same results either way.
     */
    public static final String PERSISTENT_ATTENTION_PROPERTY = "apbj.attention.persistent";

    private final Device device;
    private final int reductionThreads;
    private final boolean tensorCores;
    private boolean hopperAttention;
    private boolean pipelinedAttention;
    /** Whether the mma.sync prefill attention is {@link FlashAttentionFa2} (else {@link FlashAttention}). */
    private boolean fa2Attention;
    private FlashAttentionFa2.Form fa2Form;
    private FlashAttentionHopperWs.Schedule schedule;
    private boolean tmaProducer;
    private boolean persistentAttention;
    private boolean qByProducer;
    private int persistentGroupsCap = Integer.MAX_VALUE;
    /** {@link MatvecChoice#OFF}, {@link MatvecChoice#AUTO} or a forced split. */
    private int matvecSplit;
    /** The fewest rows a few-row product has to run on {@link MatvecTc} ({@link MatvecChoice#TC_NEVER}: none). */
    private int matvecTcRows;

    /** Single-group reductions (top-k, sampling) and RMSNorm use up to 1024 work-items per group. */
    public KernelOps(Device device) { this(device, 1024); }

    /**
     * @param reductionThreads work-items per group of the row-reduction kernels (RMSNorm, top-k,
     *                         argmax, sampling): a multiple of 32 up to 1024; the Java device
     *                         runs cooperating work-items as threads, so tests use fewer
     */
    public KernelOps(Device device, int reductionThreads) {
        this(device, reductionThreads, tensorCoresByDefault(device));
    }

    /**
     * @param tensorCores projections of more than {@link #MATVEC_MAX_ROWS} rows on the
     *                    tensor-core GEMM ({@link GemmTc}: x rounded to bf16) instead of the fp32
     *                    one. The default: on devices whose {@link Device#capabilities()} have
     *                    tensor cores (CUDA, compute capability 8.0 and later) unless
     *                    {@value #FP32_GEMM_PROPERTY} is set; elsewhere the Java body of the mma
     *                    (warp shuffles) runs, which is correct but slow
     */
    public KernelOps(Device device, int reductionThreads, boolean tensorCores) {
        if (reductionThreads < 32 || reductionThreads > 1024 || reductionThreads % 32 != 0) {
            throw new IllegalArgumentException("reductionThreads must be a multiple of 32 in [32, 1024], got "
                    + reductionThreads);
        }
        this.device = device;
        this.reductionThreads = reductionThreads;
        this.tensorCores = tensorCores;
        this.hopperAttention = tensorCores && device.capabilities().warpGroupMma()
                && !"false".equals(System.getProperty(HOPPER_ATTENTION_PROPERTY));
        this.pipelinedAttention = !"false".equals(System.getProperty(PIPELINED_ATTENTION_PROPERTY));
        this.fa2Attention = fa2Asked(System.getProperty(SM80_ATTENTION_PROPERTY, "fa2"));
        this.fa2Form = FlashAttentionFa2.Form.parse(System.getProperty(FA2_FORM_PROPERTY, "default"));
        this.schedule = FlashAttentionHopperWs.Schedule.parse(
                System.getProperty(ATTENTION_SCHEDULE_PROPERTY, FlashAttentionHopperWs.Schedule.DEFAULT.toString()));
        this.tmaProducer = tmaProducerAsked(System.getProperty(ATTENTION_PRODUCER_PROPERTY));
        String persistent = System.getProperty(PERSISTENT_ATTENTION_PROPERTY, "false").trim();
        if (!java.util.List.of("false", "true", "q-by-producer").contains(persistent)) {
            throw new IllegalArgumentException("-D" + PERSISTENT_ATTENTION_PROPERTY + "=" + persistent
                    + ": the persistent attention is 'false', 'true' or 'q-by-producer'");
        }
        this.persistentAttention = !persistent.equals("false");
        this.qByProducer = persistent.equals("q-by-producer");
        this.matvecSplit = MatvecChoice.parseSplit(System.getProperty(MATVEC_SPLIT_PROPERTY));
        this.matvecTcRows = MatvecChoice.parseTensorCoreRows(System.getProperty(MATVEC_TC_PROPERTY));
    }

    /**
     * The one-row products' split of k, as {@value #MATVEC_SPLIT_PROPERTY} takes it ({@code off},
     * {@code auto}, 1, 2, 4, 8). For tests and benchmarks; the default follows the property.
     */
    public KernelOps useMatvecSplit(String split) {
        this.matvecSplit = MatvecChoice.parseSplit(split);
        return this;
    }

    /**
     * The kernel and split a few-row product of this shape launches (for benchmark logs):
     * {@code kind} is {@code plain}, {@code swiglu} (n outputs of gate and up) or {@code qkv-rope}
     * (n = qDim + 2·kvDim rows, one row of x).
     */
    public String describeMatvec(String kind, int rows, int n, int k) {
        return switch (kind) {
            case "plain" -> MatvecChoice.plain(matvecSplit, matvecTcRows, rows, n, k).describe();
            case "swiglu" -> MatvecChoice.swiGlu(matvecSplit, matvecTcRows, rows, n, k).describe();
            case "qkv-rope" -> MatvecChoice.qkvRope(matvecSplit, n / 2, k).describe();
            default -> throw new IllegalArgumentException("describeMatvec: kind '" + kind + "' is plain, swiglu or qkv-rope");
        };
    }

    /**
     * Which few-row products run on {@link MatvecTc}, as {@value #MATVEC_TC_PROPERTY} takes it
     * ({@code false}, {@code true}, {@code all}). For tests and benchmarks; the default follows the property.
     */
    public KernelOps useMatvecTensorCores(String which) {
        this.matvecTcRows = MatvecChoice.parseTensorCoreRows(which);
        return this;
    }

    /** {@value #ATTENTION_PRODUCER_PROPERTY}'s value: true when absent or {@code tma}, false for {@code cp-async}. */
    static boolean tmaProducerAsked(String asked) {
        if (asked == null) return true;
        return switch (asked.trim()) {
            case "tma" -> true;
            case "cp-async" -> false;
            default -> throw new IllegalArgumentException("-D" + ATTENTION_PRODUCER_PROPERTY + "=" + asked
                    + ": the pipelined attention's producer is 'tma' or 'cp-async'");
        };
    }

    /**
     * Chooses the attention kernel of {@link #attention}: {@link FlashAttentionHopper} (wgmma)
     * or not (then {@link #tensorCores()} decides between {@link FlashAttention} and the fp32
     * kernel). For tests and benchmarks; the default follows {@value #HOPPER_ATTENTION_PROPERTY}.
     * CUDA devices need wgmma (sm_90a) for it; the Java and OpenCL devices run its Java bodies.
     */
    public KernelOps useHopperAttention(boolean on) {
        if (on && device.backend() == Backend.CUDA && !device.capabilities().warpGroupMma()) {
            throw new UnsupportedOperationException("the Hopper attention needs wgmma (an sm_90a GPU such as H100/H200); "
                    + "this device has none: leave it off");
        }
        this.hopperAttention = on;
        return this;
    }

    /** Whether {@link #attention} runs on {@link FlashAttentionHopper} (or its pipelined form). */
    public boolean hopperAttention() { return hopperAttention; }

    /**
     * Chooses the form of the Hopper attention: {@link FlashAttentionHopperWs} (warp-specialised,
     * pipelined) or {@link FlashAttentionHopper}. For tests and benchmarks; the default follows
     * {@value #PIPELINED_ATTENTION_PROPERTY}. OpenCL devices always run the single-role kernel.
     */
    public KernelOps usePipelinedAttention(boolean on) {
        this.pipelinedAttention = on;
        return this;
    }

    /**
     * Chooses how {@link FlashAttentionHopperWs} lays out its work. For tests and benchmarks; the
     * default follows {@value #ATTENTION_SCHEDULE_PROPERTY}.
     */
    public KernelOps usePipelinedSchedule(FlashAttentionHopperWs.Schedule schedule) {
        this.schedule = java.util.Objects.requireNonNull(schedule, "schedule");
        return this;
    }

    /** The schedule {@link FlashAttentionHopperWs} launches with. */
    public FlashAttentionHopperWs.Schedule pipelinedSchedule() { return schedule; }

    /**
     * Chooses {@link FlashAttentionHopperWs}'s producer: bulk tensor copies issued by one
     * work-item ({@link FlashAttentionHopperWs#attentionTma}) or a warpgroup's cp.async copies.
     * For tests and benchmarks; the default follows {@value #ATTENTION_PRODUCER_PROPERTY}.
     */
    public KernelOps useTmaAttentionProducer(boolean on) {
        this.tmaProducer = on;
        return this;
    }

    /** Whether {@link FlashAttentionHopperWs} (when {@link #pipelinedAttention()}) loads K and V by TMA. */
    public boolean tmaAttentionProducer() { return tmaProducer; }

    /**
     * Chooses the mma.sync prefill attention: {@link FlashAttentionFa2} or {@link FlashAttention}
     * (what {@link #attention} runs with {@link #tensorCores()} and without {@link #hopperAttention()}).
     * For tests and benchmarks; the default follows {@value #SM80_ATTENTION_PROPERTY}.
     */
    public KernelOps useFa2Attention(boolean on) {
        this.fa2Attention = on;
        return this;
    }

    /** Whether the mma.sync prefill attention is {@link FlashAttentionFa2}. */
    public boolean fa2Attention() { return fa2Attention; }

    /** Sets {@link FlashAttentionFa2}'s form; for tests and benchmarks (default from {@value #FA2_FORM_PROPERTY}). */
    public KernelOps useFa2Form(FlashAttentionFa2.Form form) {
        this.fa2Form = java.util.Objects.requireNonNull(form, "form");
        return this;
    }

    /** {@link FlashAttentionFa2}'s form. */
    public FlashAttentionFa2.Form fa2Form() { return fa2Form; }

    private static boolean fa2Asked(String value) {
        return switch (value) {
            case "fa2" -> true;
            case "original" -> false;
            default -> throw new IllegalArgumentException("-D" + SM80_ATTENTION_PROPERTY + "=" + value
                    + " is not a kernel: use fa2 (FlashAttentionFa2) or original (FlashAttention)");
        };
    }

    /**
     * Chooses the persistent form of the TMA-fed attention ({@link FlashAttentionHopperWs#attentionTmaPersistent})
     * when {@link #tmaAttentionProducer()}. For tests and benchmarks; the default follows
     * {@value #PERSISTENT_ATTENTION_PROPERTY}.
     */
    public KernelOps usePersistentAttention(boolean on) {
        this.persistentAttention = on;
        return this;
    }

    /** Whether the TMA-fed attention runs persistent (when {@link #tmaAttentionProducer()}). */
    public boolean persistentAttention() { return persistentAttention; }

    /**
     * In the persistent attention, whether the producer warpgroup stores each item's Q into a
     * second buffer ahead of the consumers (true) or each consumer stores its rows (false). For
     * tests and benchmarks; the default follows {@value #PERSISTENT_ATTENTION_PROPERTY}.
     */
    public KernelOps persistentQByProducer(boolean on) {
        this.qByProducer = on;
        return this;
    }

    /** Whether the persistent attention's Q is stored by the producer warpgroup. */
    public boolean persistentQByProducer() { return qByProducer; }

    /**
     * At most {@code groups} groups for the persistent attention (default: one per multiprocessor).
     * For tests: few groups make every group walk several work items.
     */
    public KernelOps persistentAttentionGroupsAtMost(int groups) {
        if (groups < 1) throw new IllegalArgumentException("the persistent attention needs at least one group, not " + groups);
        this.persistentGroupsCap = groups;
        return this;
    }

    /** Whether {@link #attention} runs on {@link FlashAttentionHopperWs}. */
    public boolean pipelinedAttention() {
        return hopperAttention && pipelinedAttention && device.backend() != Backend.OPENCL;
    }

    /** Whether the device gets the tensor-core GEMM unless told otherwise: when its hardware has tensor cores. */
    static boolean tensorCoresByDefault(Device device) {
        return device.capabilities().tensorCores() && !Boolean.getBoolean(FP32_GEMM_PROPERTY);
    }

    /** Whether projections of more than {@link #MATVEC_MAX_ROWS} rows use tensor cores. */
    public boolean tensorCores() { return tensorCores; }

    public Device device() { return device; }

    // --- embedding, norm, rope, activation ------------------------------------------------------

    /** {@code out[t, :] = table[tokens[t], :]}, t &lt; rows; ids must lie in [0, table rows). */
    public void embed(F32Array out, BF16Array table, I32Array tokens, int rows, int hidden) {
        positive("hidden", hidden);
        need(out, "out", (long) rows * hidden);
        need(tokens, "tokens", rows);
        if (rows == 0) return;
        device.launch(KernelLibrary.EMBED, elementwise((long) rows * hidden), out, table, tokens, rows, hidden);
    }

    /** RMSNorm of x rows [xRow0, xRow0 + rows) into out rows [outRow0, ...) (out may be x). */
    public void rmsNorm(F32Array out, int outRow0, F32Array x, int xRow0, BF16Array weight, int rows, int dim,
                        float eps) {
        rmsNorm(KernelLibrary.RMS_NORM, out, outRow0, x, xRow0, weight, rows, dim, eps);
    }

    private void rmsNorm(Kernel kernel, DeviceArray out, int outRow0, F32Array x, int xRow0, BF16Array weight, int rows,
                         int dim, float eps) {
        positive("dim", dim);
        need(x, "x", (long) (xRow0 + rows) * dim);
        need(out, "out", (long) (outRow0 + rows) * dim);
        need(weight, "weight", dim);
        if (rows == 0) return;
        int threads = Math.min(reductionThreads, roundUp(Math.max(dim / 4, 32), 32));
        device.launch(kernel, Grid.groups(rows, threads), out, outRow0, x, xRow0, weight, dim, eps);
    }

    /** RoPE in place on q rows [qRow0, qRow0 + rows) and k rows [kRow0, ...) at the given positions. */
    public void rope(F32Array q, int qRow0, int nHeads, BF16Array k, int kRow0, int nKvHeads, int headDim, int rows,
                     I32Array positions, F32Array invFreq) {
        if (headDim <= 0 || headDim % 2 != 0) throw new IllegalArgumentException("headDim must be even, got " + headDim);
        need(q, "q", (long) (qRow0 + rows) * nHeads * headDim);
        need(k, "k", (long) (kRow0 + rows) * nKvHeads * headDim);
        need(positions, "positions", rows);
        need(invFreq, "invFreq", headDim / 2);
        if (rows == 0) return;
        device.launch(KernelLibrary.ROPE_F32, elementwise((long) rows * nHeads * headDim / 2),
                q, qRow0, rows, nHeads, headDim, positions, invFreq);
        device.launch(KernelLibrary.ROPE_BF16, elementwise((long) rows * nKvHeads * headDim / 2),
                k, kRow0, rows, nKvHeads, headDim, positions, invFreq);
    }

    /** The key half of {@link #rope}: RoPE in place on k rows [kRow0, kRow0 + rows), token t at positions[t]. */
    public void ropeKeys(BF16Array k, int kRow0, int nKvHeads, int headDim, int rows, I32Array positions, F32Array invFreq) {
        if (headDim <= 0 || headDim % 2 != 0) throw new IllegalArgumentException("headDim must be even, got " + headDim);
        need(k, "k", (long) (kRow0 + rows) * nKvHeads * headDim);
        need(positions, "positions", rows);
        need(invFreq, "invFreq", headDim / 2);
        if (rows == 0) return;
        device.launch(KernelLibrary.ROPE_BF16, elementwise((long) rows * nKvHeads * headDim / 2),
                k, kRow0, rows, nKvHeads, headDim, positions, invFreq);
    }

    /** {@code h = silu(gate) · up} over count elements. */
    public void swiGlu(F32Array h, F32Array gate, F32Array up, long count) {
        need(h, "h", count);
        need(gate, "gate", count);
        need(up, "up", count);
        if (count == 0) return;
        device.launch(KernelLibrary.SWIGLU, elementwise(count), h, gate, up, intExtent("count", count));
    }

    // --- projections ------------------------------------------------------------------------------

    /**
     * {@code y[yRow0 + t, :] (+)= x[xRow0 + t, :] · Wᵀ + bias} for t &lt; rows; W BF16 [n, k],
     * bias BF16 [n] or null; accumulate adds to y (residual).
     */
    public void matmul(F32Array y, int yRow0, F32Array x, int xRow0, BF16Array w, BF16Array bias, int rows, int n,
                       int k, boolean accumulate) {
        checkProduct(y, yRow0, x, xRow0, w, bias, rows, n, k);
        if (rows == 0) return;
        BF16Array b = bias != null ? bias : w;
        if (rows <= MATVEC_MAX_ROWS) {
            MatvecChoice.Launch l = MatvecChoice.plain(matvecSplit, matvecTcRows, rows, n, k);
            switch (l.form()) {
                case TENSOR_CORES -> device.launch(KernelLibrary.MATVEC_TC, l.grid(), y, yRow0, x, xRow0, words(w, k), b, n,
                        k, rows, l.split(), bias != null, accumulate);
                case SPLIT -> device.launch(KernelLibrary.MATVEC_SPLIT, l.grid(), y, yRow0, x, xRow0, words(w, k), b, n, k,
                        l.split(), bias != null, accumulate);
                case UNSPLIT -> device.launch(KernelLibrary.MATVEC, l.grid(), y, yRow0, x, xRow0, words(w, k), b, n, k, rows,
                        bias != null, accumulate);
            }
        } else {
            if (tensorCores) {
                device.launch(KernelLibrary.MATMUL_TC, gemmTcGrid(rows, n), y, yRow0, x, xRow0, w, b, rows, n, k,
                        bias != null, accumulate);
            } else {
                device.launch(KernelLibrary.MATMUL, gemmGrid(rows, n), y, yRow0, x, xRow0, w, b, rows, n, k,
                        bias != null, accumulate);
            }
        }
    }

    /** As {@link #matmul} with a bf16 output (k and v rows), no accumulate. */
    public void matmulBf16Out(BF16Array y, int yRow0, F32Array x, int xRow0, BF16Array w, BF16Array bias, int rows,
                              int n, int k) {
        checkProduct(y, yRow0, x, xRow0, w, bias, rows, n, k);
        if (rows == 0) return;
        BF16Array b = bias != null ? bias : w;
        if (rows <= MATVEC_MAX_ROWS) {
            MatvecChoice.Launch l = MatvecChoice.plain(matvecSplit, matvecTcRows, rows, n, k);
            switch (l.form()) {
                case TENSOR_CORES -> device.launch(KernelLibrary.MATVEC_TC_BF16_OUT, l.grid(), y, yRow0, x, xRow0, words(w, k),
                        b, n, k, rows, l.split(), bias != null);
                case SPLIT -> device.launch(KernelLibrary.MATVEC_BF16_OUT_SPLIT, l.grid(), y, yRow0, x, xRow0, words(w, k), b,
                        n, k, l.split(), bias != null);
                case UNSPLIT -> device.launch(KernelLibrary.MATVEC_BF16_OUT, l.grid(), y, yRow0, x, xRow0, words(w, k), b, n,
                        k, rows, bias != null);
            }
        } else {
            if (tensorCores) {
                device.launch(KernelLibrary.MATMUL_TC_BF16_OUT, gemmTcGrid(rows, n), y, yRow0, x, xRow0, w, b, rows, n,
                        k, bias != null);
            } else {
                device.launch(KernelLibrary.MATMUL_BF16_OUT, gemmGrid(rows, n), y, yRow0, x, xRow0, w, b, rows, n, k,
                        bias != null);
            }
        }
    }

    /**
     * {@code y[yRow0 + t, :] (+)= x[xRow0 + t, :] · Wᵀ + bias} with x bf16 (activations kept in
     * bf16 for the GEMM, as in bf16 inference): the Hopper GEMM ({@link GemmWgmma}) on devices
     * with wgmma (sm_90a); the Java device and OpenCL run the same kernel's Java bodies. k must be
     * a multiple of 8 (rows of 16-byte copies).
     */
    public void matmul(F32Array y, int yRow0, BF16Array x, int xRow0, BF16Array w, BF16Array bias, int rows, int n,
                       int k, boolean accumulate) {
        checkBf16Product(y, yRow0, x, xRow0, w, bias, rows, n, k);
        if (rows == 0) return;
        BF16Array b = bias != null ? bias : w;
        HopperGemm kernel = hopperGemm(GemmOutput.F32, k);
        if (kernel == HopperGemm.TMA_PINGPONG) {
            int width = pingPongColumns();
            device.launch(KernelLibrary.MATMUL_PINGPONG, gemmPingPongGrid(rows, n, width), new I64Array(y.buffer()), yRow0,
                    xMap(x, xRow0 + rows, k), xRow0, wMap(w, n, k, width / 2), b, rows, n, k, bias != null, accumulate,
                    width);
        } else if (kernel == HopperGemm.TMA) {
            device.launch(KernelLibrary.MATMUL_TMA, gemmTmaGrid(rows, n, GemmTma.BN), new I64Array(y.buffer()), yRow0,
                    xMap(x, xRow0 + rows, k), xRow0, wMap(w, n, k), b, rows, n, k, bias != null, accumulate);
        } else {
            device.launch(KernelLibrary.MATMUL_WGMMA, gemmWgmmaGrid(rows, n, 1), new I64Array(y.buffer()), yRow0, x, xRow0,
                    w, b, rows, n, k, bias != null, accumulate, GemmWgmma.MAX_M_TILES);
        }
    }

    /** As {@link #matmul(F32Array, int, BF16Array, int, BF16Array, BF16Array, int, int, int, boolean)} with a bf16 output. */
    public void matmulBf16Out(BF16Array y, int yRow0, BF16Array x, int xRow0, BF16Array w, BF16Array bias, int rows,
                              int n, int k) {
        checkBf16Product(y, yRow0, x, xRow0, w, bias, rows, n, k);
        if (rows == 0) return;
        BF16Array b = bias != null ? bias : w;
        HopperGemm kernel = hopperGemm(GemmOutput.BF16, k);
        if (kernel == HopperGemm.TMA_PINGPONG) {
            int width = pingPongColumns();
            device.launch(KernelLibrary.MATMUL_PINGPONG_BF16_OUT, gemmPingPongGrid(rows, n, width), new I32Array(y.buffer()),
                    yRow0, xMap(x, xRow0 + rows, k), xRow0, wMap(w, n, k, width / 2), b, rows, n, k, bias != null, width);
        } else if (kernel == HopperGemm.TMA) {
            device.launch(KernelLibrary.MATMUL_TMA_BF16_OUT, gemmTmaGrid(rows, n, GemmTma.BN), new I32Array(y.buffer()),
                    yRow0, xMap(x, xRow0 + rows, k), xRow0, wMap(w, n, k), b, rows, n, k, bias != null);
        } else {
            device.launch(KernelLibrary.MATMUL_WGMMA_BF16_OUT, gemmWgmmaGrid(rows, n, 1), new I32Array(y.buffer()), yRow0,
                    x, xRow0, w, b, rows, n, k, bias != null, GemmWgmma.MAX_M_TILES);
        }
    }

    /**
     * The gate/up projection with SwiGLU fused (bf16 x, bf16 h): {@code h = silu(x·Wgᵀ) · (x·Wuᵀ)},
     * Wg and Wu [inter, k]. Same devices and k rule as the bf16-input matmul.
     */
    public void matmulSwiGlu(BF16Array h, BF16Array x, BF16Array wGate, BF16Array wUp, int rows, int inter, int k) {
        checkBf16Product(h, 0, x, 0, wGate, null, rows, inter, k);
        need(wUp, "up weight [inter, k]", (long) inter * k);
        if (rows == 0) return;
        HopperGemm kernel = hopperGemm(GemmOutput.SWIGLU, k);
        if (kernel == HopperGemm.TMA_PINGPONG) {
            int width = pingPongColumns();
            device.launch(KernelLibrary.MATMUL_PINGPONG_SWIGLU, gemmPingPongGrid(rows, inter, width / 2),
                    new I32Array(h.buffer()), xMap(x, rows, k), wMap(wGate, inter, k, width / 2),
                    wMap(wUp, inter, k, width / 2), rows, inter, k, width);
        } else if (kernel == HopperGemm.TMA) {
            device.launch(KernelLibrary.MATMUL_TMA_SWIGLU, gemmTmaGrid(rows, inter, GemmTma.W_BOX_ROWS),
                    new I32Array(h.buffer()), xMap(x, rows, k), wMap(wGate, inter, k), wMap(wUp, inter, k), rows, inter, k);
        } else {
            device.launch(KernelLibrary.MATMUL_WGMMA_SWIGLU, gemmWgmmaGrid(rows, inter, 2), new I32Array(h.buffer()), x,
                    wGate, wUp, rows, inter, k, GemmWgmma.MAX_M_TILES);
        }
    }

    /** RMSNorm as {@link #rmsNorm} with a bf16 output (the next GEMM's input). */
    public void rmsNormBf16(BF16Array out, int outRow0, F32Array x, int xRow0, BF16Array weight, int rows, int dim,
                            float eps) {
        rmsNorm(KernelLibrary.RMS_NORM_BF16, out, outRow0, x, xRow0, weight, rows, dim, eps);
    }

    /**
     * {@link #rmsNormBf16} by {@link RmsNorm#rmsNormBf16Wide} (x read once, 16-byte loads) where
     * the row fits it (dim a multiple of {@link RmsNorm#WIDE}, at most 8192, out not x); otherwise
     * {@link #rmsNormBf16}. The same values but for the order of the sum of squares.
     */
    public void rmsNormBf16Wide(BF16Array out, int outRow0, F32Array x, int xRow0, BF16Array weight, int rows, int dim,
                                float eps) {
        positive("dim", dim);
        if (dim % RmsNorm.WIDE != 0 || dim > RmsNorm.WIDE * RmsNorm.MAX_THREADS || weight.byteSize() % 16 != 0
                || out.buffer() == x.buffer()) {
            rmsNormBf16(out, outRow0, x, xRow0, weight, rows, dim, eps);
            return;
        }
        need(x, "x", (long) (xRow0 + rows) * dim);
        need(out, "out", (long) (outRow0 + rows) * dim);
        need(weight, "weight", dim);
        if (rows == 0) return;
        int threads = roundUp(dim / RmsNorm.WIDE, 32);
        device.launch(KernelLibrary.RMS_NORM_BF16_WIDE, Grid.groups(rows, threads), new I32Array(out.buffer()), outRow0, x,
                xRow0, new I64Array(weight.buffer()), dim, eps);
    }

    /** {@code out[i] = bf16(in[i])} for i &lt; count. */
    public void toBf16(BF16Array out, F32Array in, long count) {
        need(out, "out", count);
        need(in, "in", count);
        if (count == 0) return;
        device.launch(KernelLibrary.TO_BF16, elementwise(count), out, in, intExtent("count", count));
    }

    /** Whether this device runs the bf16-input GEMM: CUDA devices with wgmma (sm_90a), and the Java and OpenCL devices. */
    public boolean hasBf16InputGemm() {
        return device.backend() != Backend.CUDA || device.capabilities().warpGroupMma();
    }

    private void checkBf16Product(DeviceArray y, int yRow0, BF16Array x, int xRow0, BF16Array w, BF16Array bias, int rows,
                                  int n, int k) {
        if (!hasBf16InputGemm()) {
            throw new UnsupportedOperationException("the bf16-input GEMM needs wgmma (an sm_90a GPU such as H100/H200); "
                    + device.name() + " has none: use matmul with fp32 x");
        }
        if (k % 8 != 0) {
            throw new IllegalArgumentException("the bf16-input GEMM copies x and W rows in 16-byte pieces: k = " + k
                    + " must be a multiple of 8 (use matmul with fp32 x)");
        }
        if (n % 2 != 0 || y.byteSize() % (2L * y.elementBytes()) != 0) {
            throw new IllegalArgumentException("the bf16-input GEMM stores output columns in pairs: n = " + n
                    + " must be even and y (" + y + ") a whole number of pairs (use matmul with fp32 x)");
        }
        positive("n", n);
        positive("k", k);
        nonNegative("rows", rows);
        need(x, "x", (long) (xRow0 + rows) * k);
        need(y, "y", (long) (yRow0 + rows) * n);
        need(w, "weight [n, k]", (long) n * k);
        if (bias != null) need(bias, "bias", n);
    }

    /**
     * {@code h[r, :] = silu(x_r · gateᵀ) · (x_r · upᵀ)} for rows r &lt; rows ≤ {@link #MATVEC_MAX_ROWS}
     * of x (from xRow0): the FFN's gate and up products and SwiGLU in one memory-bound pass
     * ({@link Matvec#matvecSwiGlu}); gate and up BF16 [n, k], h F32 [rows, n].
     */
    public void matvecSwiGlu(F32Array h, F32Array x, int xRow0, BF16Array gate, BF16Array up, int rows, int n, int k) {
        checkProduct(h, 0, x, xRow0, gate, null, rows, n, k);
        need(up, "up [n, k]", (long) n * k);
        if (rows > MATVEC_MAX_ROWS) {
            throw new IllegalArgumentException("matvecSwiGlu takes at most " + MATVEC_MAX_ROWS + " rows, got " + rows
                    + ": use matmul for the gate and up products and swiGlu");
        }
        if (rows == 0) return;
        MatvecChoice.Launch l = MatvecChoice.swiGlu(matvecSplit, matvecTcRows, rows, n, k);
        if (l.form() == MatvecChoice.Form.TENSOR_CORES) {
            device.launch(KernelLibrary.MATVEC_TC_SWIGLU, l.grid(), h, x, xRow0, words(gate, k), words(up, k), n, k, rows,
                    l.split());
        } else {
            device.launch(KernelLibrary.MATVEC_SWIGLU, l.grid(), h, x, xRow0, words(gate, k), words(up, k), n, k, rows);
        }
    }

    /**
     * A decode step's q, k and v from the normed hidden row x (fp32 [k]) in one launch
     * ({@link Matvec#matvecQkvRope}): q (fp32 [qDim]) with RoPE at position step[0]; k with
     * RoPE and v, rounded to bf16, into row step[0] of kCache and vCache (bf16 [*, kvDim]).
     * Biases are null or [qDim] / [kvDim] each (all three or none).
     */
    public void matvecQkvRope(F32Array q, BF16Array kCache, BF16Array vCache, I32Array step, F32Array x, BF16Array wq,
                              BF16Array wk, BF16Array wv, BF16Array bq, BF16Array bk, BF16Array bv, F32Array invFreq,
                              int nHeads, int nKvHeads, int headDim, int k) {
        if (headDim <= 0 || headDim % 2 != 0) throw new IllegalArgumentException("headDim must be even, got " + headDim);
        positive("nHeads", nHeads);
        positive("nKvHeads", nKvHeads);
        int qDim = nHeads * headDim, kvDim = nKvHeads * headDim;
        checkProduct(q, 0, x, 0, wq, bq, 1, qDim, k);
        need(wk, "wk [kvDim, k]", (long) kvDim * k);
        need(wv, "wv [kvDim, k]", (long) kvDim * k);
        boolean hasBias = bq != null;
        if (hasBias != (bk != null) || hasBias != (bv != null)) {
            throw new IllegalArgumentException("q, k and v biases must be given all three or none (got q "
                    + (bq != null) + ", k " + (bk != null) + ", v " + (bv != null) + ")");
        }
        if (hasBias) {
            need(bk, "bk", kvDim);
            need(bv, "bv", kvDim);
        }
        need(kCache, "kCache", kvDim);
        need(vCache, "vCache", kvDim);
        need(step, "step", 1);
        need(invFreq, "invFreq", headDim / 2);
        int pairs = (qDim + 2 * kvDim) / 2;
        MatvecChoice.Launch l = MatvecChoice.qkvRope(matvecSplit, pairs, k);
        if (l.form() == MatvecChoice.Form.SPLIT) {
            device.launch(KernelLibrary.MATVEC_QKV_ROPE_SPLIT, l.grid(), q, kCache, vCache, step, x, words(wq, k),
                    words(wk, k), words(wv, k), hasBias ? bq : wq, hasBias ? bk : wk, hasBias ? bv : wv, invFreq, qDim, kvDim,
                    k, l.split(), headDim, hasBias);
            return;
        }
        device.launch(KernelLibrary.MATVEC_QKV_ROPE, l.grid(),
                q, kCache, vCache, step, x, words(wq, k), words(wk, k), words(wv, k), hasBias ? bq : wq, hasBias ? bk : wk,
                hasBias ? bv : wv, invFreq, qDim, kvDim, k, headDim, hasBias);
    }

    /**
     * The weights as 8-byte words for {@link Matvec}, which reads them in 16-byte pairs (eight
     * bf16): a view of the same device memory (not to be closed). Rows of k elements start
     * 16-byte aligned only when k is a multiple of 8 (and the allocation is: device allocations are).
     */
    static I64Array words(BF16Array w, int k) {
        if (k % Matvec.PER_LOAD != 0) {
            throw new IllegalArgumentException("the few-row product reads weights " + Matvec.PER_LOAD
                    + " bf16 at a time: k must be a multiple of " + Matvec.PER_LOAD + ", got " + k
                    + " (every supported model's widths are; pad the weights otherwise)");
        }
        if (w.byteSize() % 16 != 0) {
            throw new IllegalArgumentException("weight " + w + " has " + w.byteSize() + " bytes, not whole 16-byte words");
        }
        return new I64Array(w.buffer());
    }

    private static void checkProduct(DeviceArray y, int yRow0, F32Array x, int xRow0, BF16Array w, BF16Array bias,
                                     int rows, int n, int k) {
        positive("n", n);
        positive("k", k);
        nonNegative("rows", rows);
        need(x, "x", (long) (xRow0 + rows) * k);
        need(y, "y", (long) (yRow0 + rows) * n);
        need(w, "weight [n, k]", (long) n * k);
        if (bias != null) need(bias, "bias", n);
    }

    // --- attention --------------------------------------------------------------------------------

    /**
     * Flash attention with the APB mask (see {@link Attention}); scale 1/√headDim. A few query
     * rows ({@link #usesDecodeAttention}: decoding, the APB phase-2 query) run on
     * {@link DecodeAttention} on every device, which reads each K/V tile once per KV head; more
     * rows run on tensor cores with {@link #tensorCores()} ({@link FlashAttention}, or with
     * {@link #fa2Attention()} {@link FlashAttentionFa2}: Q and P rounded to bf16), with
     * {@link #hopperAttention()} on wgmma ({@link FlashAttentionHopper},
     * same rounding), else on fp32 units ({@link Attention}).
     */
    public void attention(F32Array q, int nq, BF16Array k, BF16Array v, int p, int a, int b, boolean causal,
                          int nHeads, int nKvHeads, int headDim, F32Array out, F32Array lse) {
        checkAttention(q, nq, k, v, p, a, b, causal, nHeads, nKvHeads, headDim, out, lse);
        if (nq == 0) return;
        long keys = (long) p + a + b;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        if (usesDecodeAttention(nq, nHeads, nKvHeads)) {
            KeySplit split = KeySplit.of(decodeGroups(nq, nHeads, nKvHeads), keys);
            decodeAttention(q, nq, k, v, p, a, b, causal, nHeads, nKvHeads, headDim, out, lse, scale, split,
                    out /* unused */, false);
            return;
        }
        prefillAttention(q, nq, k, v, p, a, b, causal, nHeads, nKvHeads, headDim, out, lse, null, null, null);
    }

    /**
     * The prefill kernels of {@link #attention}. With {@code positions} (and {@code invFreq}) the
     * Hopper kernels rotate Q by RoPE as they load it (q itself is not written); with
     * {@code outBf16} and one key split they store the output as bf16 into it instead of out.
     * Callers pass those only where {@link #hopperAttention()} holds.
     */
    private void prefillAttention(F32Array q, int nq, BF16Array k, BF16Array v, int p, int a, int b, boolean causal,
                                  int nHeads, int nKvHeads, int headDim, F32Array out, F32Array lse, I32Array positions,
                                  F32Array invFreq, BF16Array outBf16) {
        long keys = (long) p + a + b;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        boolean pipelined = pipelinedAttention();
        boolean hopper = hopperAttention;   // either Hopper kernel (pipelined implies it)
        // With no key there is no tile to load (and no row for a tensor map): the cp.async form, same result.
        if (pipelined && schedule.kAhead() && !tmaProducer) {
            throw new IllegalStateException("attention schedule " + schedule + ": k-ahead orders the TMA producer's loads; set -D"
                    + ATTENTION_PRODUCER_PROPERTY + "=tma or drop k-ahead");
        }
        boolean tma = pipelined && tmaProducer && keys > 0;
        boolean persistent = tma && persistentAttention;
        if (persistent && qByProducer && schedule.stages() != 2) {
            throw new IllegalStateException("attention schedule " + schedule + ": the persistent attention with Q stored by"
                    + " the producer holds two Q tiles, which leaves room for two K/V stages only; use s2 or -D"
                    + PERSISTENT_ATTENTION_PROPERTY + "=true");
        }
        Kernel kernel = persistent ? KernelLibrary.FLASH_ATTENTION_HOPPER_WS_TMA_PERSISTENT
                : tma ? KernelLibrary.FLASH_ATTENTION_HOPPER_WS_TMA
                : pipelined ? KernelLibrary.FLASH_ATTENTION_HOPPER_WS
                : hopperAttention ? KernelLibrary.FLASH_ATTENTION_HOPPER
                : tensorCores ? (fa2Attention() ? KernelLibrary.FLASH_ATTENTION_FA2 : KernelLibrary.FLASH_ATTENTION)
                : KernelLibrary.ATTENTION;
        int threads = pipelined ? FlashAttentionHopperWs.THREADS : hopperAttention ? FlashAttentionHopper.THREADS
                : tensorCores ? (fa2Attention() ? FlashAttentionFa2.THREADS : FlashAttention.THREADS) : Attention.THREADS;
        int rowsPerGroup = pipelined ? FlashAttentionHopperWs.BQ : hopperAttention ? FlashAttentionHopper.BQ
                : tensorCores ? (fa2Attention() ? FlashAttentionFa2.BQ : FlashAttention.BQ) : Attention.BQ;
        int tiles = (nq + rowsPerGroup - 1) / rowsPerGroup;
        KeySplit split = KeySplit.of(prefillGroups(nq, nHeads), keys);
        boolean ropeQ = positions != null;
        if (!hopper && (ropeQ || outBf16 != null)) throw new IllegalStateException("fused RoPE / bf16 output need the Hopper attention");
        // The Hopper kernels' fusion arguments; unused ones get stand-ins of the right type (never read).
        I32Array unusedInts = new I32Array(out.buffer());
        if (split.splits() == 1) {
            Object[] args = attentionArgs(kernel, pipelined, out, lse, q, kvArg(tma, k, keys, nKvHeads * headDim),
                    kvArg(tma, v, keys, nKvHeads * headDim), nq, p, a, b, causal, nHeads, nKvHeads, headDim, scale,
                    (int) Math.max(keys, 1));
            if (hopper) {
                args = withFusion(args, outBf16 != null ? new I32Array(outBf16.buffer()) : unusedInts, outBf16 != null,
                        ropeQ ? positions : unusedInts, ropeQ ? invFreq : lse, ropeQ);
            }
            launchAttention(kernel, persistent, tiles, nHeads, 1, threads, args);
            return;
        }
        F32Array partOut = scratchOut(split.outFloats(nq, nHeads, headDim));
        F32Array partLse = scratchLse(split.lseFloats(nq, nHeads));
        Object[] args = attentionArgs(kernel, pipelined, partOut, partLse, q, kvArg(tma, k, keys, nKvHeads * headDim),
                kvArg(tma, v, keys, nKvHeads * headDim), nq, p, a, b, causal, nHeads, nKvHeads, headDim, scale,
                split.keysPerSplit());
        if (hopper) args = withFusion(args, unusedInts, false, ropeQ ? positions : unusedInts, ropeQ ? invFreq : lse, ropeQ);
        launchAttention(kernel, persistent, tiles, nHeads, split.splits(), threads, args);
        device.launch(KernelLibrary.MERGE_SPLITS, elementwise((long) nq * nHeads * headDim), out, lse, partOut, partLse,
                split.splits(), nq, nHeads, headDim);
        if (outBf16 != null) toBf16(outBf16, out, (long) nq * nHeads * headDim);   // partial results merge in fp32
    }

    /**
     * Launches a prefill attention kernel over tiles query blocks × nHeads × splits: a group
     * each, or persistent, min(work items, multiprocessors, {@link #persistentAttentionGroupsAtMost})
     * groups walking them (with who stores Q and the split count as its last arguments).
     */
    private void launchAttention(Kernel kernel, boolean persistent, int tiles, int nHeads, int splits, int threads,
                                 Object[] args) {
        if (!persistent) {
            device.launch(kernel, Grid.of(tiles * threads, nHeads, splits, threads, 1, 1), args);
            return;
        }
        long items = (long) tiles * nHeads * splits;
        int groups = (int) Math.min(Math.min(items, device.capabilities().computeUnits()), persistentGroupsCap);
        Object[] all = java.util.Arrays.copyOf(args, args.length + 2);
        all[args.length] = qByProducer;
        all[args.length + 1] = splits;
        device.launch(kernel, Grid.of(groups * threads, 1, 1, threads, 1, 1), all);
    }

    /** K or V as the attention kernel takes it: the array, or with the TMA producer its {@link FlashAttentionHopperWs#kvMap}. */
    private static Object kvArg(boolean tma, BF16Array kv, long keys, int kvStride) {
        return tma ? FlashAttentionHopperWs.kvMap(kv, (int) keys, kvStride) : kv;
    }

    private static Object[] withFusion(Object[] args, I32Array outBf16, boolean bf16Out, I32Array positions, F32Array invFreq,
                                       boolean ropeQ) {
        Object[] all = java.util.Arrays.copyOf(args, args.length + 5);
        all[args.length] = outBf16;
        all[args.length + 1] = bf16Out;
        all[args.length + 2] = positions;
        all[args.length + 3] = invFreq;
        all[args.length + 4] = ropeQ;
        return all;
    }

    /**
     * Dense prefill's attention whose output only feeds the o-projection: {@link #attention} of
     * q rotated by RoPE (query row t at {@code positions[t]}, as {@link #rope} rotates it; keys
     * already rotated), the output rounded to bf16 into {@code outBf16} [nq, nHeads·headDim].
     * With {@link #hopperAttention()} Q is rotated as the kernel loads it, and with one key split
     * the kernel stores bf16 itself: q and out are then not written (two passes over them fewer).
     * Otherwise q is rotated in place, out gets the fp32 output and is rounded into outBf16. The
     * values are the same either way; the caller treats q and out as used up.
     */
    public void attentionRopedToBf16(F32Array q, int nq, BF16Array k, BF16Array v, int p, int a, int b, boolean causal,
                                     int nHeads, int nKvHeads, int headDim, I32Array positions, F32Array invFreq,
                                     F32Array out, F32Array lse, BF16Array outBf16) {
        checkAttention(q, nq, k, v, p, a, b, causal, nHeads, nKvHeads, headDim, out, lse);
        need(positions, "positions", nq);
        need(invFreq, "invFreq", headDim / 2);
        need(outBf16, "outBf16", (long) nq * nHeads * headDim);
        if (nq == 0) return;
        if (usesDecodeAttention(nq, nHeads, nKvHeads) || !hopperAttention) {
            device.launch(KernelLibrary.ROPE_F32, elementwise((long) nq * nHeads * headDim / 2),
                    q, 0, nq, nHeads, headDim, positions, invFreq);
            attention(q, nq, k, v, p, a, b, causal, nHeads, nKvHeads, headDim, out, lse);
            toBf16(outBf16, out, (long) nq * nHeads * headDim);
            return;
        }
        prefillAttention(q, nq, k, v, p, a, b, causal, nHeads, nKvHeads, headDim, out, lse, positions, invFreq, outBf16);
    }

    /**
     * The prefill attention kernels' launch arguments; {@link FlashAttentionFa2} takes its form and
     * the pipelined kernel its schedule after them (and both Hopper kernels then the dense-prefill arguments, {@link #withFusion}).
     */
    private Object[] attentionArgs(Kernel kernel, boolean pipelined, Object... args) {
        if (kernel == KernelLibrary.FLASH_ATTENTION_FA2) {
            Object[] all = java.util.Arrays.copyOf(args, args.length + 1);
            all[args.length] = fa2Form.bits();
            return all;
        }
        if (!pipelined) return args;
        Object[] all = java.util.Arrays.copyOf(args, args.length + 2);
        all[args.length] = schedule.stages();
        all[args.length + 1] = schedule.flags();
        return all;
    }

    /**
     * {@link #attention} of a decode step whose cache length lives on the device: the keys are
     * [0, step[0]) of the cache followed by a + b new rows (already written at rows step[0]..),
     * so p = step[0] is read by the kernel, not passed. The launch geometry (the key splits) is
     * fixed by {@code maxKeys}, the most keys any step will have, so the same launches serve
     * every step (a captured graph replays them). Always {@link DecodeAttention}.
     */
    public void attentionAtStep(F32Array q, int nq, BF16Array k, BF16Array v, I32Array step, int a, int b,
                                boolean causal, int nHeads, int nKvHeads, int headDim, long maxKeys, F32Array out,
                                F32Array lse) {
        checkAttention(q, nq, k, v, (int) Math.max(0, maxKeys - a - b), a, b, causal, nHeads, nKvHeads, headDim, out, lse);
        need(step, "step", 1);
        if (!usesDecodeAttention(nq, nHeads, nKvHeads)) {
            throw new IllegalArgumentException("attentionAtStep serves decode-sized calls: " + nq + " query rows of "
                    + nHeads + "/" + nKvHeads + " heads take the prefill kernels (use attention)");
        }
        if (nq == 0) return;
        KeySplit split = KeySplit.of(decodeGroups(nq, nHeads, nKvHeads), maxKeys);
        decodeAttention(q, nq, k, v, 0, a, b, causal, nHeads, nKvHeads, headDim, out, lse,
                (float) (1.0 / Math.sqrt(headDim)), split, step, true);
    }

    private void decodeAttention(F32Array q, int nq, BF16Array k, BF16Array v, int p, int a, int b, boolean causal,
                                 int nHeads, int nKvHeads, int headDim, F32Array out, F32Array lse, float scale,
                                 KeySplit split, DeviceArray step, boolean keysFromStep) {
        Grid grid = Grid.of(DecodeAttention.rowTiles(nq, nHeads, nKvHeads) * DecodeAttention.THREADS, nKvHeads,
                split.splits(), DecodeAttention.THREADS, 1, 1);
        // Without keysFromStep the kernel never reads step: any int view will do (lse's memory, no allocation).
        I32Array stepArg = keysFromStep ? (I32Array) step : new I32Array(lse.buffer());
        if (split.splits() == 1) {
            device.launch(KernelLibrary.DECODE_ATTENTION, grid, out, lse, q, k, v, nq, p, a, b, causal, nHeads,
                    nKvHeads, headDim, scale, split.keysPerSplit(), stepArg, keysFromStep);
            return;
        }
        F32Array partOut = scratchOut(split.outFloats(nq, nHeads, headDim));
        F32Array partLse = scratchLse(split.lseFloats(nq, nHeads));
        device.launch(KernelLibrary.DECODE_ATTENTION, grid, partOut, partLse, q, k, v, nq, p, a, b, causal, nHeads,
                nKvHeads, headDim, scale, split.keysPerSplit(), stepArg, keysFromStep);
        device.launch(KernelLibrary.MERGE_SPLITS, elementwise((long) nq * nHeads * headDim), out, lse, partOut,
                partLse, split.splits(), nq, nHeads, headDim);
    }

    private void checkAttention(F32Array q, int nq, BF16Array k, BF16Array v, int p, int a, int b, boolean causal,
                                int nHeads, int nKvHeads, int headDim, F32Array out, F32Array lse) {
        if (!Attention.supportsHeadDim(headDim)) {
            throw new IllegalArgumentException("attention supports head dims 64 and 128, got " + headDim);
        }
        if (nKvHeads <= 0 || nHeads % nKvHeads != 0) {
            throw new IllegalArgumentException(nHeads + " query heads are not a multiple of " + nKvHeads + " KV heads");
        }
        if (p < 0 || a < 0 || b < 0) throw new IllegalArgumentException("negative block length: p=" + p + " a=" + a + " b=" + b);
        if (causal && nq != a + b) {
            throw new IllegalArgumentException("causal attention takes the queries [A ; B]: nq must be a + b = "
                    + (a + b) + ", got " + nq);
        }
        long keys = (long) p + a + b;
        need(q, "q", (long) nq * nHeads * headDim);
        need(k, "k", keys * nKvHeads * headDim);
        need(v, "v", keys * nKvHeads * headDim);
        need(out, "out", (long) nq * nHeads * headDim);
        need(lse, "lse", (long) nq * nHeads);
    }

    /**
     * Whether {@link #attention} runs these calls on {@link DecodeAttention}: when its groups (16
     * (query row, head) pairs of one KV head each) read K/V no more often than the prefill
     * kernels' (64 query rows of one head each) would; for Llama-3-8B (32/8 heads) up to 16
     * query rows. Off with {@link #decodeAttention(boolean)}.
     */
    public boolean usesDecodeAttention(int nq, int nHeads, int nKvHeads) {
        return decodeAttention && nq > 0 && decodeGroups(nq, nHeads, nKvHeads) <= prefillGroups(nq, nHeads);
    }

    private boolean decodeAttention = true;

    /** Turns the decode kernel off (every call on the prefill kernels) or on (the default); for tests and benchmarks of those kernels. */
    public KernelOps decodeAttention(boolean on) {
        decodeAttention = on;
        return this;
    }

    static long decodeGroups(int nq, int nHeads, int nKvHeads) {
        return (long) DecodeAttention.rowTiles(nq, nHeads, nKvHeads) * nKvHeads;
    }

    static long prefillGroups(int nq, int nHeads) {
        return (long) ((nq + Attention.BQ - 1) / Attention.BQ) * nHeads;
    }

    /** How {@link #attention} divides a call's keys: {@code splits} ranges of {@code keysPerSplit} (one range: no split). */
    record KeySplit(int splits, int keysPerSplit) {
        /** The split for a launch of {@code groups} groups per key range. */
        static KeySplit of(long groups, long keys) {
            int splits = attentionSplits(groups, keys);
            if (splits == 1) return new KeySplit(1, (int) Math.max(keys, 1));
            int per = KernelOps.keysPerSplit(keys, splits);
            return new KeySplit((int) ((keys + per - 1) / per), per);
        }

        long outFloats(int nq, int nHeads, int headDim) { return splits == 1 ? 0 : (long) splits * nq * nHeads * headDim; }

        long lseFloats(int nq, int nHeads) { return splits == 1 ? 0 : (long) splits * nq * nHeads; }
    }

    /** The key split {@link #attention} uses for a call of these sizes. */
    KeySplit keySplit(int nq, int nHeads, int nKvHeads, long keys) {
        return keySplitOf(usesDecodeAttention(nq, nHeads, nKvHeads), nq, nHeads, nKvHeads, keys);
    }

    private static KeySplit keySplitOf(boolean decode, int nq, int nHeads, int nKvHeads, long keys) {
        return KeySplit.of(decode ? decodeGroups(nq, nHeads, nKvHeads) : prefillGroups(nq, nHeads), keys);
    }

    /**
     * How many key ranges attention is split into: one unless the {@code groups} per range are
     * too few to fill a large GPU and there are keys enough for every split to stream at least
     * {@link #MIN_KEYS_PER_SPLIT} of them (decoding, the phase-2 query, short blocks against
     * long caches).
     */
    static int attentionSplits(long groups, long keys) {
        if (groups >= TARGET_GROUPS) return 1;
        long byGroups = (TARGET_GROUPS + groups - 1) / groups;
        long byKeys = keys / MIN_KEYS_PER_SPLIT;
        return (int) Math.max(1, Math.min(Math.min(byGroups, byKeys), MAX_SPLITS));
    }

    /**
     * Bytes of device scratch that {@link #attention} (or {@link #attentionAtStep} with
     * maxKeys = keys) needs for a call of these sizes: the partial (out, lse) of every key split,
     * 0 when the call is not split. The most over both kernels, since a KernelOps may have the
     * decode kernel turned off. For memory plans.
     */
    public static long attentionScratchBytes(int nq, int nHeads, int nKvHeads, int headDim, long keys) {
        long most = 0;
        for (boolean decode : new boolean[] {false, true}) {
            KeySplit split = keySplitOf(decode, nq, nHeads, nKvHeads, keys);
            most = Math.max(most, 4 * (split.outFloats(nq, nHeads, headDim) + split.lseFloats(nq, nHeads)));
        }
        return most;
    }

    /**
     * Allocates the split-attention scratch for calls up to these sizes now, so that no later
     * call has to regrow it (regrowing waits for the device, since earlier launches may read it).
     */
    public void reserveAttentionScratch(int nq, int nHeads, int nKvHeads, int headDim, long keys) {
        KeySplit split = keySplit(nq, nHeads, nKvHeads, keys);
        if (split.splits() == 1) return;
        scratchOut(split.outFloats(nq, nHeads, headDim));
        scratchLse(split.lseFloats(nq, nHeads));
    }

    static int keysPerSplit(long keys, int splits) {
        long per = (keys + splits - 1) / splits;
        return (int) ((per + Attention.BKV - 1) / Attention.BKV * Attention.BKV);
    }

    /** Groups that keep a large GPU busy (about two per streaming multiprocessor of an H100). */
    static final int TARGET_GROUPS = 264;
    static final int MIN_KEYS_PER_SPLIT = 4 * Attention.BKV;
    /** The most key splits: past 64 the merge's fixed cost outgrows what more splits add to a decode call. */
    static final int MAX_SPLITS = 64;

    // Partial results of split attention, reused across calls (launches on one device run in order).
    private F32Array scratchOut;
    private F32Array scratchLse;

    private F32Array scratchOut(long n) {
        if (scratchOut == null || scratchOut.length() < n) scratchOut = regrow(scratchOut, n);
        return scratchOut;
    }

    private F32Array scratchLse(long n) {
        if (scratchLse == null || scratchLse.length() < n) scratchLse = regrow(scratchLse, n);
        return scratchLse;
    }

    /**
     * Counts the times the split-attention scratch was reallocated: recorded work (a captured
     * graph) that used the old buffers must be recorded again when it changes.
     */
    public long scratchVersion() { return scratchVersion; }

    private long scratchVersion;

    private F32Array regrow(F32Array old, long n) {
        scratchVersion++;
        if (old != null) {
            device.synchronize();   // earlier launches may still read it
            old.close();
        }
        return device.allocF32(Math.max(n, 1));
    }

    /** Frees the scratch memory of split attention (the device frees it anyway when closed). */
    @Override
    public void close() {
        if (scratchOut != null || scratchLse != null) device.synchronize();
        if (scratchOut != null) scratchOut.close();
        if (scratchLse != null) scratchLse.close();
        scratchOut = null;
        scratchLse = null;
    }

    /** (outA, lseA) ← exact merge with (outB, lseB), rows [0, nq). */
    public void mergeAttention(F32Array outA, F32Array lseA, F32Array outB, F32Array lseB, int nq, int nHeads,
                               int headDim) {
        need(outA, "outA", (long) nq * nHeads * headDim);
        need(outB, "outB", (long) nq * nHeads * headDim);
        need(lseA, "lseA", (long) nq * nHeads);
        need(lseB, "lseB", (long) nq * nHeads);
        if (nq == 0) return;
        device.launch(KernelLibrary.MERGE_ATTENTION, elementwise((long) nq * nHeads), outA, lseA, outB, lseB, nq,
                nHeads, headDim);
    }

    // --- retaining heads, selection ---------------------------------------------------------------

    /**
     * Max-pooled retaining-head scores F32 [n, nKv] of the tokens whose pre-RoPE q are rows
     * [0, n) of q and k, v rows [kvRow, kvRow + n), on the fp32 GEMM ({@link Gemm}, reading the
     * concatenation in place): every device. {@code hidden} (F32 [n, R]) is scratch. Two launches.
     */
    public void retainingScores(F32Array q, BF16Array k, BF16Array v, int kvRow, int n, BF16Array w1, BF16Array w2,
                                int nHeads, int nKvHeads, int headDim, F32Array hidden, F32Array scores) {
        int r = checkRetaining(q, k, v, kvRow, n, w1, w2, nHeads, nKvHeads, headDim, hidden, scores);
        if (n == 0) return;
        device.launch(KernelLibrary.RETAINING_HIDDEN, gemmGrid(n, r), hidden, q, k, v, kvRow, w1, n, r,
                nHeads * headDim, nKvHeads * headDim);
        retainingPool(scores, hidden, w2, n, r, nKvHeads, false);
    }

    /**
     * As {@link #retainingScores} with the first product on the bf16-input GEMM (tensor cores:
     * {@link GemmWgmma}; the Java and OpenCL devices run its Java bodies): the concatenation is
     * written once into {@code packed} (BF16 [n, (nHeads + 2·nKvHeads)·headDim], scratch) with q
     * rounded to bf16 — k and v are bf16 already — so scores differ from the fp32 path by that
     * rounding (a near-tie in the selection may go the other way). Three launches.
     */
    public void retainingScoresBf16(F32Array q, BF16Array k, BF16Array v, int kvRow, int n, BF16Array w1, BF16Array w2,
                                    int nHeads, int nKvHeads, int headDim, BF16Array packed, F32Array hidden,
                                    F32Array scores) {
        int r = checkRetaining(q, k, v, kvRow, n, w1, w2, nHeads, nKvHeads, headDim, hidden, scores);
        int qDim = nHeads * headDim, kvDim = nKvHeads * headDim, in = qDim + 2 * kvDim;
        if (headDim % 2 != 0) throw new IllegalArgumentException("the bf16 retaining path packs pairs: headDim " + headDim + " must be even");
        need(packed, "packed input scratch [n, " + in + "]", (long) n * in);
        if (n == 0) return;
        device.launch(KernelLibrary.RETAINING_PACK, elementwise((long) n * in / 2), pairs(packed, "packed"),
                pairs(q, "q"), pairs(k, "k"), pairs(v, "v"), kvRow, n, qDim, kvDim);
        matmul(hidden, 0, packed, 0, w1, null, n, r, in, false);
        retainingPool(scores, hidden, w2, n, r, nKvHeads, true);
    }

    private void retainingPool(F32Array scores, F32Array hidden, BF16Array w2, int n, int r, int nKvHeads, boolean silu) {
        device.launch(KernelLibrary.RETAINING_POOL, Grid.groups((n + RetainingHeads.POOL_TILE - 1) / RetainingHeads.POOL_TILE,
                RetainingHeads.POOL_THREADS), scores, hidden, w2, n, r, nKvHeads, silu);
    }

    /** Checks the shapes of a retaining-score call and returns the heads' hidden width R. */
    private static int checkRetaining(F32Array q, BF16Array k, BF16Array v, int kvRow, int n, BF16Array w1, BF16Array w2,
                                      int nHeads, int nKvHeads, int headDim, F32Array hidden, F32Array scores) {
        int qDim = nHeads * headDim;
        int kvDim = nKvHeads * headDim;
        int in = qDim + 2 * kvDim;
        if (nKvHeads < 1 || nKvHeads > RetainingHeads.MAX_KV_HEADS) {
            throw new IllegalArgumentException("retaining heads score 1 to " + RetainingHeads.MAX_KV_HEADS + " KV heads, got "
                    + nKvHeads + ": raise RetainingHeads.MAX_KV_HEADS");
        }
        if (w1.length() % in != 0) {
            throw new IllegalArgumentException("retaining head W1 has " + w1.length() + " elements: not [R, " + in
                    + "] for " + nHeads + "+2·" + nKvHeads + " heads of " + headDim);
        }
        int r = intExtent("R", w1.length() / in);
        nonNegative("n", n);
        need(w2, "W2 [nKv, R]", (long) nKvHeads * r);
        need(q, "q", (long) n * qDim);
        need(k, "k", (long) (kvRow + n) * kvDim);
        need(v, "v", (long) (kvRow + n) * kvDim);
        need(hidden, "hidden scratch [n, R]", (long) n * r);
        need(scores, "scores", (long) n * nKvHeads);
        return r;
    }

    /** The array as pairs of its elements (8-byte words of fp32, 4-byte words of bf16): a view of the same memory. */
    private static I64Array pairs(F32Array a, String name) {
        if (a.byteSize() % 8 != 0) throw new IllegalArgumentException(name + " (" + a + ") is not a whole number of float pairs");
        return new I64Array(a.buffer());
    }

    private static I32Array pairs(BF16Array a, String name) {
        if (a.byteSize() % 4 != 0) throw new IllegalArgumentException(name + " (" + a + ") is not a whole number of bf16 pairs");
        return new I32Array(a.buffer());
    }

    /** Per KV head, the k best rows of scores [n, nKv] outside [0, excludeFirst), ascending, into indices [nKv, k]. */
    public void topK(F32Array scores, int n, int nKvHeads, int excludeFirst, int k, I32Array indices) {
        if (excludeFirst < 0 || k < 0 || k > n - excludeFirst) {
            throw new IllegalArgumentException("top-" + k + " of " + n + " rows with the first " + excludeFirst
                    + " excluded: need 0 <= k <= n - excludeFirst");
        }
        need(scores, "scores", (long) n * nKvHeads);
        need(indices, "indices", (long) nKvHeads * k);
        if (k == 0) return;
        device.launch(KernelLibrary.TOP_K_ROWS, Grid.groups(nKvHeads, reductionThreads), indices, scores, n,
                nKvHeads, excludeFirst, k);
    }

    /** Per head h: dst rows [dstRow, dstRow + k) ← src rows srcRow + indices[h, j], head h's slice. */
    public void gatherKv(BF16Array srcK, BF16Array srcV, int srcRow, I32Array indices, int k, int nKvHeads,
                         int headDim, BF16Array dstK, BF16Array dstV, int dstRow) {
        need(indices, "indices", (long) nKvHeads * k);
        need(dstK, "dstK", (long) (dstRow + k) * nKvHeads * headDim);
        need(dstV, "dstV", (long) (dstRow + k) * nKvHeads * headDim);
        if (k == 0) return;
        device.launch(KernelLibrary.GATHER_KV, elementwise((long) k * nKvHeads * headDim), dstK, dstV, dstRow, srcK,
                srcV, srcRow, indices, k, nKvHeads, headDim);
    }

    // --- decode step bookkeeping (graphs) ------------------------------------------------------------

    /** {@code step[0] += 1} on the device (the end of a decode step). */
    public void advanceStep(I32Array step) {
        need(step, "step", 1);
        device.launch(KernelLibrary.DECODE_ADVANCE, Grid.groups(1, 32), step);
    }

    // --- next token ---------------------------------------------------------------------------------

    /** Greedy: the lowest index of the largest logit into {@code result[0]}. */
    public void argmax(F32Array logits, int n, I32Array result) {
        positive("n", n);
        need(logits, "logits", n);
        need(result, "result", 1);
        device.launch(KernelLibrary.ARGMAX, Grid.groups(1, reductionThreads), result, logits, n);
    }

    /** Temperature / top-p sampling driven by {@code uniform} in [0, 1) (see {@link Sampling#sampleTopP}). */
    public void sampleTopP(F32Array logits, int n, float temperature, float topP, float uniform, I32Array result) {
        positive("n", n);
        if (!(temperature > 0)) throw new IllegalArgumentException("temperature must be > 0 (use argmax for greedy), got " + temperature);
        if (!(topP > 0)) throw new IllegalArgumentException("top_p must be > 0, got " + topP);
        if (!(uniform >= 0 && uniform < 1)) throw new IllegalArgumentException("uniform must lie in [0, 1), got " + uniform);
        need(logits, "logits", n);
        need(result, "result", 1);
        device.launch(KernelLibrary.SAMPLE_TOP_P, Grid.groups(1, reductionThreads), result, logits, n, temperature,
                topP, uniform);
    }

    // --- geometry and checks ------------------------------------------------------------------------

    static Grid gemmGrid(int rows, int n) {
        return Grid.of((n + Gemm.BN - 1) / Gemm.BN * Gemm.THREADS, (rows + Gemm.BM - 1) / Gemm.BM, Gemm.THREADS, 1);
    }

    static Grid gemmTcGrid(int rows, int n) {
        return Grid.of((n + GemmTc.BN - 1) / GemmTc.BN * GemmTc.THREADS, (rows + GemmTc.BM - 1) / GemmTc.BM,
                GemmTc.THREADS, 1);
    }

    /** Groups of the cp.async Hopper GEMM; {@code perTile} weight matrices share a tile's columns (2 for gate/up). */
    private static Grid gemmWgmmaGrid(int rows, int n, int perTile) {
        int width = GemmWgmma.BN / perTile, tileRows = GemmWgmma.ROWS_PER_M_TILE * GemmWgmma.MAX_M_TILES;
        return Grid.of((n + width - 1) / width * GemmWgmma.THREADS, (rows + tileRows - 1) / tileRows, GemmWgmma.THREADS, 1);
    }

    /** Groups of the persistent TMA GEMM: one per multiprocessor, fewer when there are fewer tiles of width columns. */
    private Grid gemmTmaGrid(int rows, int n, int width) {
        int groups = Math.min(GemmTma.tiles(rows, n, width), device.capabilities().computeUnits());
        return Grid.of(groups * GemmTma.THREADS, 1, GemmTma.THREADS, 1);
    }

    /** Groups of the ping-pong GEMM: one per multiprocessor, fewer when there are fewer tiles of width columns. */
    private Grid gemmPingPongGrid(int rows, int n, int width) {
        int groups = Math.min(GemmTmaPingPong.tiles(rows, n, width), device.capabilities().computeUnits());
        return Grid.of(groups * GemmTmaPingPong.THREADS, 1, GemmTmaPingPong.THREADS, 1);
    }

    /** x [height, k] as boxes of 64 columns × {@link GemmTma#BM} rows, 128-byte swizzled. */
    private static TensorMap xMap(BF16Array x, int height, int k) {
        return TensorMap.tiled2d(x, k, height, k, GemmTma.BK, GemmTma.BM, TensorMap.Swizzle.B128);
    }

    /** W [n, k] as boxes of 64 columns × {@link GemmTma#W_BOX_ROWS} rows, 128-byte swizzled. */
    private static TensorMap wMap(BF16Array w, int n, int k) {
        return wMap(w, n, k, GemmTma.W_BOX_ROWS);
    }

    /** W [n, k] as boxes of 64 columns × {@code boxRows} rows, 128-byte swizzled. */
    private static TensorMap wMap(BF16Array w, int n, int k, int boxRows) {
        return TensorMap.tiled2d(w, k, n, k, GemmTma.BK, boxRows, TensorMap.Swizzle.B128);
    }

    /** The Hopper GEMM kernels {@link #GEMM_KERNEL_PROPERTY} picks from. */
    enum HopperGemm { TMA, TMA_PINGPONG, CP_ASYNC }

    /** What a Hopper GEMM's epilogue writes. */
    enum GemmOutput { F32, BF16, SWIGLU }

    /**
     * Which Hopper GEMM runs, as system property {@value #GEMM_KERNEL_PROPERTY} asks: {@code auto}
     * (the default on sm_90a GPUs and the Java device: {@link #autoGemm}), {@code tma}
     * ({@link GemmTma}: TMA-fed, warp-specialised, persistent), {@code tma-pingpong}
     * ({@link GemmTmaPingPong}: the same with one tile per consumer warpgroup, so that one tile's
     * stores overlap the other's products) or {@code cp-async} ({@link GemmWgmma}, one role).
     * OpenCL always runs GemmWgmma (no mbarriers, no tensor maps).
     */
    private HopperGemm hopperGemm(GemmOutput output, int k) {
        if (device.backend() == Backend.OPENCL) return HopperGemm.CP_ASYNC;
        String asked = System.getProperty(GEMM_KERNEL_PROPERTY);
        if (asked == null) return autoGemm(output, k);
        return switch (asked) {
            case "auto" -> autoGemm(output, k);
            case "tma" -> HopperGemm.TMA;
            case "tma-pingpong" -> HopperGemm.TMA_PINGPONG;
            case "cp-async" -> HopperGemm.CP_ASYNC;
            default -> throw new IllegalArgumentException("-D" + GEMM_KERNEL_PROPERTY + "=" + asked
                    + ": the Hopper GEMM is 'auto', 'tma', 'tma-pingpong' or 'cp-async'");
        };
    }

    /**
     * The measured choice (H200, cuBLAS in the same call): the ping-pong GEMM where a tile's
     * products are short enough for its stores to show (k ≤ {@value #PINGPONG_MAX_K}) and it
     * stores fp32 or the fused SwiGLU (gate/up + SwiGLU 729 against 699 TFLOP/s, qkv 690 against
     * 666, o equal); {@link GemmTma} for bf16 outputs and long k (down, k = 14336: 712 against 665).
     */
    static HopperGemm autoGemm(GemmOutput output, int k) {
        return output != GemmOutput.BF16 && k <= PINGPONG_MAX_K ? HopperGemm.TMA_PINGPONG : HopperGemm.TMA;
    }

    static final int PINGPONG_MAX_K = 4096;

    /** System property: {@code auto}, {@code tma}, {@code tma-pingpong} or {@code cp-async} picks the Hopper GEMM kernel. */
    public static final String GEMM_KERNEL_PROPERTY = "apbj.gemm.kernel";

    /**
     * The ping-pong GEMM's tile width, as system property {@value #PINGPONG_COLUMNS_PROPERTY}
     * asks: {@value GemmTmaPingPong#WIDE} (default) or {@value GemmTmaPingPong#NARROW}.
     */
    private static int pingPongColumns() {
        String asked = System.getProperty(PINGPONG_COLUMNS_PROPERTY);
        if (asked == null) return GemmTmaPingPong.WIDE;
        return switch (asked) {
            case "192" -> GemmTmaPingPong.WIDE;
            case "128" -> GemmTmaPingPong.NARROW;
            default -> throw new IllegalArgumentException("-D" + PINGPONG_COLUMNS_PROPERTY + "=" + asked
                    + ": the ping-pong GEMM's tiles are 192 or 128 columns wide");
        };
    }

    /** System property: the ping-pong GEMM's tile width, 192 or 128 columns. */
    public static final String PINGPONG_COLUMNS_PROPERTY = "apbj.gemm.pingpongColumns";

    static Grid elementwise(long count) {
        long groups = Math.min((count + ELEMENTWISE_THREADS - 1) / ELEMENTWISE_THREADS, MAX_ELEMENTWISE_GROUPS);
        return Grid.groups((int) Math.max(groups, 1), ELEMENTWISE_THREADS);
    }

    private static void need(DeviceArray a, String name, long elements) {
        if (a == null) throw new IllegalArgumentException(name + " is null");
        if (elements > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + ": " + elements + " elements exceed the 2^31 that kernels index");
        }
        if (a.length() < elements) {
            throw new IllegalArgumentException(name + " holds " + a.length() + " elements but this call uses "
                    + elements + ": allocate it larger or pass fewer rows");
        }
    }

    private static int intExtent(String name, long v) {
        if (v > Integer.MAX_VALUE) throw new IllegalArgumentException(name + " = " + v + " exceeds int range");
        return (int) v;
    }

    private static void positive(String name, int v) {
        if (v <= 0) throw new IllegalArgumentException(name + " must be positive, got " + v);
    }

    private static void nonNegative(String name, int v) {
        if (v < 0) throw new IllegalArgumentException(name + " must not be negative, got " + v);
    }

    private static int roundUp(int v, int m) { return (v + m - 1) / m * m; }
}
