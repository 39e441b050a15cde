package org.apbj.model;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.lib.KernelOps;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Device;
import org.apbj.weights.ModelConfig;

/**
 * The transformer's operations as launches of the kernel library ({@link KernelOps}), each
 * booked in the {@link KernelTimer} with its kind and FLOPs. Shapes come from the config, so
 * callers pass only buffers, row offsets and row counts.
 */
final class Ops implements AutoCloseable {
    /**
     * Work-items per group of the row reductions: the Java device runs a group's work-items as
     * cooperating threads, so it gets one warp's worth; GPUs get the library's default.
     */
    private static final int JAVA_REDUCTION_THREADS = 32;

    private final ModelConfig cfg;
    private final KernelTimer timer;
    private final KernelOps k;
    private final boolean bf16Activations;

    Ops(Device device, ModelConfig cfg, KernelTimer timer) {
        this.cfg = cfg;
        this.timer = timer;
        this.k = device.backend() == Backend.JAVA ? new KernelOps(device, JAVA_REDUCTION_THREADS) : new KernelOps(device);
        this.bf16Activations = device.backend() == Backend.CUDA && k.hasBf16InputGemm()
                && !Boolean.getBoolean(KernelOps.FP32_GEMM_PROPERTY);
    }

    void embed(I32Array tokens, BF16Array table, F32Array x, int n) {
        timer.run(KernelKind.OTHER, 0, () -> k.embed(x, table, tokens, n, cfg.hiddenSize()));
    }

    /** RMSNorm of x rows [xRow0, xRow0 + n) into out rows [0, n). */
    void rmsNorm(F32Array out, F32Array x, int xRow0, BF16Array w, int n) {
        timer.run(KernelKind.OTHER, 0, () -> k.rmsNorm(out, 0, x, xRow0, w, n, cfg.hiddenSize(), cfg.rmsNormEps()));
    }

    /** out [n, outDim] (+)= in [n, inDim] · wᵀ (+ bias). */
    void linear(F32Array out, F32Array in, BF16Array w, BF16Array bias, int n, int inDim, int outDim, boolean accumulate) {
        timer.run(KernelKind.GEMM, 2.0 * n * inDim * outDim,
                () -> k.matmul(out, 0, in, 0, w, bias, n, outDim, inDim, accumulate));
    }

    /**
     * Whether GEMM inputs are bf16 (the Hopper GEMM, on CUDA devices that have it). Elsewhere the
     * fp32 GEMMs run (mma.sync rounding x to bf16 on other GPUs, fp32 on the Java device and OpenCL).
     */
    boolean bf16Activations() { return bf16Activations; }

    /** RMSNorm of x rows [xRow0, xRow0 + n) into bf16 out rows [0, n). */
    void rmsNorm(BF16Array out, F32Array x, int xRow0, BF16Array w, int n) {
        timer.run(KernelKind.OTHER, 0, () -> k.rmsNormBf16(out, 0, x, xRow0, w, n, cfg.hiddenSize(), cfg.rmsNormEps()));
    }

    /** As {@link #rmsNorm(BF16Array, F32Array, int, BF16Array, int)}, reading x once in 16-byte loads ({@link KernelOps#rmsNormBf16Wide}). */
    void rmsNormWide(BF16Array out, F32Array x, int xRow0, BF16Array w, int n) {
        timer.run(KernelKind.OTHER, 0, () -> k.rmsNormBf16Wide(out, 0, x, xRow0, w, n, cfg.hiddenSize(), cfg.rmsNormEps()));
    }

    void toBf16(BF16Array out, F32Array in, long count) {
        timer.run(KernelKind.OTHER, 0, () -> k.toBf16(out, in, count));
    }

    /** out [n, outDim] (+)= in [n, inDim] (bf16) · wᵀ (+ bias). */
    void linear(F32Array out, BF16Array in, BF16Array w, BF16Array bias, int n, int inDim, int outDim, boolean accumulate) {
        timer.run(KernelKind.GEMM, 2.0 * n * inDim * outDim,
                () -> k.matmul(out, 0, in, 0, w, bias, n, outDim, inDim, accumulate));
    }

    /** Rows [outRow, outRow + n) of bf16 out = in (bf16) · wᵀ (+ bias). */
    void linearToBf16(BF16Array out, int outRow, BF16Array in, BF16Array w, BF16Array bias, int n, int inDim, int outDim) {
        timer.run(KernelKind.GEMM, 2.0 * n * inDim * outDim,
                () -> k.matmulBf16Out(out, outRow, in, 0, w, bias, n, outDim, inDim));
    }

    /** h [n, inter] = silu(in · gateᵀ) · (in · upᵀ), bf16 in and out (one fused GEMM). */
    void gateUpSwiGlu(BF16Array h, BF16Array in, BF16Array gate, BF16Array up, int n, int inDim, int inter) {
        timer.run(KernelKind.GEMM, 4.0 * n * inDim * inter, () -> k.matmulSwiGlu(h, in, gate, up, n, inter, inDim));
    }

    /** h [n, outDim] = silu(in · gateᵀ) · (in · upᵀ) for n ≤ {@link KernelOps#MATVEC_MAX_ROWS} rows, in one pass over both weights. */
    void gatedProduct(F32Array h, F32Array in, BF16Array gate, BF16Array up, int n, int inDim, int outDim) {
        timer.run(KernelKind.GEMM, 4.0 * n * inDim * outDim, () -> k.matvecSwiGlu(h, in, 0, gate, up, n, outDim, inDim));
    }

    /** Rows [outRow, outRow + n) of bf16 out = in · wᵀ (+ bias). */
    void linearToBf16(BF16Array out, int outRow, F32Array in, BF16Array w, BF16Array bias, int n, int inDim, int outDim) {
        timer.run(KernelKind.GEMM, 2.0 * n * inDim * outDim,
                () -> k.matmulBf16Out(out, outRow, in, 0, w, bias, n, outDim, inDim));
    }

    void rope(F32Array q, BF16Array key, int kvRow, int n, I32Array positions, F32Array invFreq) {
        timer.run(KernelKind.OTHER, 0, () -> k.rope(q, 0, cfg.numHeads(), key, kvRow, cfg.numKvHeads(), cfg.headDim(), n,
                positions, invFreq));
    }

    void ropeKeys(BF16Array key, int kvRow, int n, I32Array positions, F32Array invFreq) {
        timer.run(KernelKind.OTHER, 0, () -> k.ropeKeys(key, kvRow, cfg.numKvHeads(), cfg.headDim(), n, positions, invFreq));
    }

    /** Attention of q rotated at positions, bf16 output for the o-projection (see {@link KernelOps#attentionRopedToBf16}). */
    void attentionRopedToBf16(F32Array q, int nq, BF16Array key, BF16Array v, AttentionMask mask, I32Array positions,
                              F32Array invFreq, F32Array out, F32Array lse, BF16Array outBf16) {
        double flops = 4.0 * visiblePairs(nq, mask) * cfg.headDim() * cfg.numHeads();
        timer.run(KernelKind.ATTENTION, flops, () -> k.attentionRopedToBf16(q, nq, key, v, mask.p(), mask.a(), mask.b(),
                mask.causal(), cfg.numHeads(), cfg.numKvHeads(), cfg.headDim(), positions, invFreq, out, lse, outBf16));
    }

    void attention(F32Array q, int nq, BF16Array key, BF16Array v, AttentionMask mask, F32Array out, F32Array lse) {
        double flops = 4.0 * visiblePairs(nq, mask) * cfg.headDim() * cfg.numHeads();
        timer.run(KernelKind.ATTENTION, flops, () -> k.attention(q, nq, key, v, mask.p(), mask.a(), mask.b(), mask.causal(),
                cfg.numHeads(), cfg.numKvHeads(), cfg.headDim(), out, lse));
    }

    /**
     * (query, key) pairs the [P ; A ; B] mask lets through; each costs 2·d FLOPs for q·k and 2·d
     * for p·v per head (dense causal T tokens: T(T+1)/2 pairs).
     */
    static double visiblePairs(int nq, AttentionMask mask) {
        int p = mask.p(), a = mask.a(), b = mask.b();
        if (!mask.causal()) return (double) nq * (p + a + b);
        double anchor = (double) a * (a + 1) / 2;                         // anchor rows: causal within A
        double local = (double) b * (p + a) + (double) b * (b + 1) / 2;   // B rows: all of P and A, causal in B
        return anchor + local;
    }

    // KernelOps' rule for splitting attention over key ranges (flash-decoding), copied from its
    // package-private constants: it keeps the partial results in scratch it allocates itself.
    /**
     * The most device memory KernelOps' split-attention scratch reaches for queries of up to
     * {@code rows} rows over up to {@code keys} keys: it keeps the largest partial (out, lse) it
     * was asked for ({@link KernelOps#attentionScratchBytes}, the kernels' own rule), which grows
     * with the keys and is 0 once the (query tile, head) groups fill the GPU.
     */
    static long attentionScratchBytes(ModelConfig cfg, int rows, long keys) {
        long worst = 0;
        for (int nq = 1; nq <= rows; nq++) {
            worst = Math.max(worst, KernelOps.attentionScratchBytes(nq, cfg.numHeads(), cfg.numKvHeads(), cfg.headDim(), keys));
        }
        return worst;
    }

    /** Decode-step attention: the cache length is step[0] on the device, the splits fixed by maxKeys (see KernelOps#attentionAtStep). */
    void attentionAtStep(F32Array q, BF16Array key, BF16Array v, I32Array step, long maxKeys, F32Array out, F32Array lse) {
        timer.run(KernelKind.ATTENTION, 0, () -> k.attentionAtStep(q, 1, key, v, step, 0, 1, true, cfg.numHeads(),
                cfg.numKvHeads(), cfg.headDim(), maxKeys, out, lse));
    }

    /** A decode step's q (RoPE applied) and its k, v rows written into the caches at row step[0], in one launch. */
    void qkvAtStep(F32Array q, BF16Array kCache, BF16Array vCache, I32Array step, F32Array normed, BF16Array wq, BF16Array wk,
                   BF16Array wv, BF16Array bq, BF16Array bk, BF16Array bv, F32Array invFreq) {
        timer.run(KernelKind.GEMM, 2.0 * cfg.hiddenSize() * cfg.qkvDim(), () -> k.matvecQkvRope(q, kCache, vCache, step, normed,
                wq, wk, wv, bq, bk, bv, invFreq, cfg.numHeads(), cfg.numKvHeads(), cfg.headDim(), cfg.hiddenSize()));
    }

    void advanceStep(I32Array step) {
        timer.run(KernelKind.OTHER, 0, () -> k.advanceStep(step));
    }

    /** Allocates now the split-attention scratch of every call of up to {@code rows} rows over up to {@code keys} keys. */
    void reserveAttentionScratch(int rows, long keys) {
        for (int nq = 1; nq <= rows; nq++) k.reserveAttentionScratch(nq, cfg.numHeads(), cfg.numKvHeads(), cfg.headDim(), keys);
    }

    /** Changes whenever KernelOps reallocates its scratch (recorded graphs that used it are stale then). */
    long scratchVersion() { return k.scratchVersion(); }

    void merge(F32Array outA, F32Array lseA, F32Array outB, F32Array lseB, int nq) {
        timer.run(KernelKind.ATTENTION, 0, () -> k.mergeAttention(outA, lseA, outB, lseB, nq, cfg.numHeads(), cfg.headDim()));
    }

    void swiglu(F32Array gate, F32Array up, long count) {
        timer.run(KernelKind.OTHER, 0, () -> k.swiGlu(gate, gate, up, count));
    }

    /**
     * Max-pooled retaining-head scores; booked as GEMM (fc1 and fc2 are the work). With bf16
     * activations the first product runs on the bf16-input GEMM from {@code packed} (q rounded to
     * bf16, as every other projection's input is); elsewhere on the fp32 GEMM.
     */
    void retainingScores(F32Array q, BF16Array key, BF16Array v, int kvRow, int n, BF16Array fc1, BF16Array fc2, int hidden,
                         BF16Array packed, F32Array hiddenScratch, F32Array scores) {
        double flops = 2.0 * n * hidden * (cfg.qkvDim() + cfg.numKvHeads());
        if (bf16Activations) {
            timer.run(KernelKind.GEMM, flops, () -> k.retainingScoresBf16(q, key, v, kvRow, n, fc1, fc2, cfg.numHeads(),
                    cfg.numKvHeads(), cfg.headDim(), packed, hiddenScratch, scores));
        } else {
            timer.run(KernelKind.GEMM, flops, () -> k.retainingScores(q, key, v, kvRow, n, fc1, fc2, cfg.numHeads(),
                    cfg.numKvHeads(), cfg.headDim(), hiddenScratch, scores));
        }
    }

    void topK(F32Array scores, int n, int excludeFirst, int count, I32Array indices) {
        timer.run(KernelKind.OTHER, 0, () -> k.topK(scores, n, cfg.numKvHeads(), excludeFirst, count, indices));
    }

    void gatherKv(BF16Array srcK, BF16Array srcV, int srcRow, I32Array indices, int count, BF16Array dstK, BF16Array dstV,
                  int dstRow) {
        timer.run(KernelKind.OTHER, 0, () -> k.gatherKv(srcK, srcV, srcRow, indices, count, cfg.numKvHeads(), cfg.headDim(),
                dstK, dstV, dstRow));
    }

    void argmax(F32Array logits, I32Array result) {
        timer.run(KernelKind.OTHER, 0, () -> k.argmax(logits, cfg.vocabSize(), result));
    }

    /** Frees KernelOps' split-attention scratch (waits for the device if there is any). */
    @Override
    public void close() { k.close(); }
}
