package org.apbj.model;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.runtime.Device;
import org.apbj.weights.ModelConfig;

/**
 * The pieces of one decoder layer that the prefill strategies (dense, ring, star, APB) drive,
 * each a kernel launch on {@link #device()}. All arrays live on that device.
 *
 * <p>Layouts (row-major, one row per token):
 * <ul>
 *   <li>hidden states {@code x}: F32 [T, hidden] (the residual stream stays fp32);</li>
 *   <li>queries {@code q}: F32 [T, nHeads·headDim];</li>
 *   <li>keys and values: BF16 [rows, nKvHeads·headDim]; a strategy concatenates blocks
 *       ([P ; A ; B]) by writing them at row offsets of one buffer;</li>
 *   <li>attention output: F32 [Tq, nHeads·headDim]; log-sum-exp: F32 [Tq, nHeads]
 *       (natural log, of the scaled logits q·k/√d).</li>
 * </ul>
 * A {@code rows} argument says how many leading rows of a (possibly larger, reused) buffer
 * are in use.
 *
 * <p>Queues: APB may enqueue a layer's {@link #retainingScores}, {@link #rope},
 * {@link #selectTopK} and {@link #gatherKv} on the device's second queue
 * ({@link Device#openSecondQueue}). The first two run between the compute queue's
 * {@link #projectQkv} and {@link #attention} of the layer (nothing else runs beside them); the
 * last two may run beside {@link #attention}, {@link #mergeAttention} and {@link #finishLayer}, so
 * they must use no scratch that those use.
 */
public interface LayerSteps {

    ModelConfig config();

    Device device();

    /**
     * Makes room for calls of up to {@code rows} rows whose attention reads up to {@code keys}
     * keys: scratch buffers are sized for it and the memory is planned. Growing may wait for the
     * device and reallocate, so call it before a request, never inside one; calls beyond the
     * reserved size fail rather than allocate unplanned memory. Default: nothing to size.
     *
     * @throws IllegalStateException when the device does not have the memory (with the numbers)
     */
    default void reserve(int rows, int keys) {}

    /**
     * Device bytes these steps may still allocate once reserved for (rows, keys) — scratch growth
     * and scratch allocated on first use — for a memory plan made before a request. Default: 0.
     */
    default long pendingBytes(int rows, int keys) { return 0; }

    /** Token embeddings into {@code x} rows [0, n). */
    void embed(I32Array tokens, int n, F32Array x);

    /**
     * Input RMSNorm, then the q, k, v projections (with biases where the model has them),
     * before RoPE: q into {@code q} rows [0, n), k and v into rows [kvRow, kvRow + n) of
     * {@code k} and {@code v}.
     */
    void projectQkv(int layer, F32Array x, int n, F32Array q, BF16Array k, BF16Array v, int kvRow);

    /**
     * Retaining-head scores of the n tokens whose pre-RoPE q is in {@code q} rows [0, n) and
     * k, v in rows [kvRow, kvRow + n): F32 [n, nKvHeads] into {@code scores}, after the max-pool
     * over the sequence (window 5, padding 2). Fails if the model has no retaining heads.
     */
    void retainingScores(int layer, F32Array q, BF16Array k, BF16Array v, int kvRow, int n, F32Array scores);

    /** RoPE at the given positions, in place, on q rows [0, n) and k rows [kvRow, kvRow + n). */
    void rope(F32Array q, BF16Array k, int kvRow, int n, I32Array positions);

    /**
     * Attention of {@code nq} query rows against keys/values rows [0, mask.keys()) laid out as
     * [P ; A ; B], with the keys each query sees given by {@code mask} ({@link AttentionMask}:
     * plain causal, APB's [P ; A ; B], an anchored block, new tokens after a cache, a foreign
     * block seen whole). A causal mask takes the rows [A ; B] as queries (nq == a + b).
     */
    void attention(F32Array q, int nq, BF16Array k, BF16Array v, AttentionMask mask, F32Array out, F32Array lse);

    /**
     * Merges partial attention results exactly: (outA, lseA) ← merge((outA, lseA), (outB, lseB)),
     * rows [0, nq), in the stable sigmoid form of APB-SPEC.md.
     */
    void mergeAttention(F32Array outA, F32Array lseA, F32Array outB, F32Array lseB, int nq);

    /** x += o_proj(attn); x += FFN(post-attention RMSNorm(x)), rows [0, n). */
    void finishLayer(int layer, F32Array x, F32Array attn, int n);

    /** Final norm and LM head of row {@code row} of x: F32 [vocab] into {@code logits}. */
    void logits(F32Array x, int row, F32Array logits);

    /**
     * Per-KV-head top-{@code k} rows of {@code scores} [n, nKvHeads], ignoring rows
     * [0, excludeFirst); writes the chosen row indices, I32 [nKvHeads, k], into {@code indices}.
     */
    void selectTopK(F32Array scores, int n, int excludeFirst, int k, I32Array indices);

    /**
     * Gathers, per KV head h, rows {@code indices[h, 0..k)} (relative to {@code srcRow}) of that
     * head's slice of src K/V into rows [dstRow, dstRow + k) of dst K/V.
     */
    void gatherKv(BF16Array srcK, BF16Array srcV, int srcRow, I32Array indices, int k,
                  BF16Array dstK, BF16Array dstV, int dstRow);
}
