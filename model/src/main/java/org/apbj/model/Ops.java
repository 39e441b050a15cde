package org.apbj.model;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.Grid;
import org.apbj.kernels.runtime.Kernel;
import org.apbj.model.kernels.ModelKernels;
import org.apbj.weights.ModelConfig;

/**
 * The transformer's operations as kernel launches: picks the kernel, the grid and the
 * arguments, and books each launch with its kind and FLOPs in the {@link KernelTimer}.
 */
final class Ops {
    private static final int LOCAL = 64;

    private static final Kernel EMBED = Kernel.of(ModelKernels.class, "embedRows");
    private static final Kernel RMS_NORM = Kernel.of(ModelKernels.class, "rmsNormRows");
    private static final Kernel LINEAR = Kernel.of(ModelKernels.class, "linearF32");
    private static final Kernel LINEAR_BF16 = Kernel.of(ModelKernels.class, "linearBf16");
    private static final Kernel ROPE_F32 = Kernel.of(ModelKernels.class, "ropeF32");
    private static final Kernel ROPE_BF16 = Kernel.of(ModelKernels.class, "ropeBf16");
    private static final Kernel ATTENTION = Kernel.of(ModelKernels.class, "attentionRows");
    private static final Kernel MERGE = Kernel.of(ModelKernels.class, "mergeAttentionRows");
    private static final Kernel SWIGLU = Kernel.of(ModelKernels.class, "swiglu");
    private static final Kernel SILU = Kernel.of(ModelKernels.class, "siluInPlace");
    private static final Kernel CONCAT_QKV = Kernel.of(ModelKernels.class, "concatQkv");
    private static final Kernel MAX_POOL = Kernel.of(ModelKernels.class, "maxPoolRows");
    private static final Kernel TOP_K = Kernel.of(ModelKernels.class, "topKByRank");
    private static final Kernel GATHER_KV = Kernel.of(ModelKernels.class, "gatherKvRows");

    private final Device device;
    private final ModelConfig cfg;
    private final KernelTimer timer;
    /** Stands in for an absent bias (kernels take arrays, never null). */
    private final BF16Array noBias;

    Ops(Device device, ModelConfig cfg, KernelTimer timer) {
        this.device = device;
        this.cfg = cfg;
        this.timer = timer;
        this.noBias = device.allocBF16(1);
    }

    /** One work-item per element of {@code count}, in groups of 64 (the kernels guard the padding). */
    private static Grid elements(long count) {
        if (count <= 0 || count > Integer.MAX_VALUE - LOCAL) {
            throw new IllegalArgumentException("launch over " + count + " work-items: must be in [1, 2^31 - 64)");
        }
        int groups = (int) ((count + LOCAL - 1) / LOCAL);
        return Grid.groups(groups, LOCAL);
    }

    private void launch(KernelKind kind, double flops, Kernel k, long workItems, Object... args) {
        timer.run(kind, flops, () -> device.launch(k, elements(workItems), args));
    }

    void embed(I32Array tokens, BF16Array table, F32Array x, int n) {
        int h = cfg.hiddenSize();
        launch(KernelKind.OTHER, 0, EMBED, (long) n * h, tokens, table, x, n, h);
    }

    void rmsNorm(F32Array out, F32Array x, BF16Array w, int n) {
        launch(KernelKind.OTHER, 0, RMS_NORM, n, out, x, w, n, cfg.hiddenSize(), cfg.rmsNormEps());
    }

    /** out [n, outDim] (+)= in [n, inDim] · wᵀ (+ bias). */
    void linear(F32Array out, F32Array in, BF16Array w, BF16Array bias, int n, int inDim, int outDim, boolean accumulate) {
        launch(KernelKind.GEMM, 2.0 * n * inDim * outDim, LINEAR, (long) n * outDim,
                out, in, w, bias == null ? noBias : bias, n, inDim, outDim, bias == null ? 0 : 1, accumulate ? 1 : 0);
    }

    /** Rows [outRow, outRow + n) of bf16 out = in · wᵀ (+ bias). */
    void linearToBf16(BF16Array out, int outRow, F32Array in, BF16Array w, BF16Array bias, int n, int inDim, int outDim) {
        launch(KernelKind.GEMM, 2.0 * n * inDim * outDim, LINEAR_BF16, (long) n * outDim,
                out, outRow, in, w, bias == null ? noBias : bias, n, inDim, outDim, bias == null ? 0 : 1);
    }

    void rope(F32Array q, BF16Array k, int kvRow, int n, I32Array positions, F32Array cos, F32Array sin) {
        int d = cfg.headDim();
        launch(KernelKind.OTHER, 0, ROPE_F32, (long) n * cfg.numHeads() * (d / 2), q, positions, cos, sin, n, cfg.numHeads(), d);
        launch(KernelKind.OTHER, 0, ROPE_BF16, (long) n * cfg.numKvHeads() * (d / 2), k, kvRow, positions, cos, sin, n,
                cfg.numKvHeads(), d);
    }

    void attention(F32Array q, int nq, BF16Array k, BF16Array v, int p, int a, int b, boolean causal, F32Array out, F32Array lse) {
        double pairs = visiblePairs(nq, p, a, b, causal);
        double flops = 4.0 * pairs * cfg.headDim() * cfg.numHeads();
        float scale = (float) (1.0 / Math.sqrt(cfg.headDim()));
        launch(KernelKind.ATTENTION, flops, ATTENTION, (long) nq * cfg.numHeads(), q, k, v, out, lse, nq, p, a, b,
                causal ? 1 : 0, cfg.numHeads(), cfg.numKvHeads(), cfg.headDim(), scale);
    }

    /** (query, key) pairs the mask lets through: the q·k and p·v work is 2·d FLOPs each per head. */
    static double visiblePairs(int nq, int p, int a, int b, boolean causal) {
        if (!causal) return (double) nq * (p + a + b);
        double anchor = (double) a * (a + 1) / 2;              // anchor rows: causal within A
        double local = (double) b * (p + a) + (double) b * (b + 1) / 2;  // B rows: all of P and A, causal in B
        return anchor + local;
    }

    void merge(F32Array outA, F32Array lseA, F32Array outB, F32Array lseB, int nq) {
        launch(KernelKind.ATTENTION, 0, MERGE, (long) nq * cfg.numHeads(), outA, lseA, outB, lseB, nq, cfg.numHeads(),
                cfg.headDim());
    }

    void swiglu(F32Array gate, F32Array up, long count) {
        launch(KernelKind.OTHER, 0, SWIGLU, count, gate, up, (int) count);
    }

    void silu(F32Array x, long count) {
        launch(KernelKind.OTHER, 0, SILU, count, x, (int) count);
    }

    void concatQkv(F32Array out, F32Array q, BF16Array k, BF16Array v, int kvRow, int n) {
        launch(KernelKind.OTHER, 0, CONCAT_QKV, (long) n * (cfg.qDim() + 2L * cfg.kvDim()), out, q, k, v, kvRow, n,
                cfg.qDim(), cfg.kvDim());
    }

    void maxPool(F32Array out, F32Array in, int n, int cols, int half) {
        launch(KernelKind.OTHER, 0, MAX_POOL, (long) n * cols, out, in, n, cols, half);
    }

    void topK(F32Array scores, I32Array indices, int n, int excludeFirst, int k) {
        launch(KernelKind.OTHER, 0, TOP_K, (long) n * cfg.numKvHeads(), scores, indices, n, cfg.numKvHeads(), excludeFirst, k);
    }

    void gatherKv(BF16Array srcK, BF16Array srcV, int srcRow, I32Array indices, int k, BF16Array dstK, BF16Array dstV, int dstRow) {
        launch(KernelKind.OTHER, 0, GATHER_KV, (long) k * cfg.kvDim(), srcK, srcV, srcRow, indices, k, dstK, dstV, dstRow,
                cfg.numKvHeads(), cfg.headDim());
    }

    void close() { noBias.close(); }
}
