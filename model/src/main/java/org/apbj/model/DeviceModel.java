package org.apbj.model;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.lib.Attention;
import org.apbj.kernels.lib.KernelOps;
import org.apbj.kernels.runtime.Device;
import org.apbj.model.DeviceWeights.LayerOnDevice;
import org.apbj.weights.ModelConfig;
import org.apbj.weights.ModelWeights;
import org.apbj.weights.ProgressListener;
import org.apbj.weights.RetainingHeads;

/**
 * A Llama / Qwen2 decoder's weights resident on one {@link Device} (bf16, uploaded once) and
 * the scratch its layer steps need: the {@link LayerSteps} the parallel strategies drive and the
 * {@link DenseGenerator} runs on. It holds no KV cache and no per-request state.
 *
 * <p>It is sized for calls of up to {@link #reservedRows()} rows whose attention reads up to
 * {@link #reservedKeys()} keys: its scratch and the kernel library's split-attention scratch are
 * in its {@link #plan memory plan}. {@link #reserve} changes the size between requests; a call
 * beyond it fails instead of allocating memory nobody planned. Every step is an asynchronous
 * kernel launch: nothing here waits for the device. Not thread-safe: one caller drives it.
 */
public final class DeviceModel implements LayerSteps, AutoCloseable {

    private static final AtomicLong LOADS = new AtomicLong();

    /**
     * System property: {@code true} makes {@link #ropeAttendAndFinishLayer} (dense prefill) fuse
     * on GPUs with the Hopper kernels: RoPE on q inside the attention's Q load and the attention
     * output stored as bf16 for the o-projection (no separate RoPE pass over q, no fp32 output
     * and no conversion pass); and the RMSNorms that feed bf16 GEMMs read x once, in 16-byte
     * loads. Same values as the unfused steps (the norm's sum of squares in another order).
     * On by default (the 8B-shaped 32K prefill's small kernels went from 0.095 to 0.027 s on the
     * H200, logits within 1.1% of their range of the unfused run, the same greedy token);
     * {@code -Dapbj.prefill.fused=false} runs the unfused steps.
     */
    public static final String FUSED_PREFILL_PROPERTY = "apbj.prefill.fused";

    private final Device device;
    private final ModelConfig cfg;
    private final DeviceWeights weights;
    private final KernelTimer timer;
    private final Ops ops;
    private LayerScratch scratch;
    private long scratchGeneration;
    private int reservedKeys;
    private boolean fusedPrefill = !"false".equals(System.getProperty(FUSED_PREFILL_PROPERTY));
    private boolean closed;

    private DeviceModel(Device device, ModelConfig cfg, DeviceWeights weights, int rows, int keys) {
        this.device = device;
        this.cfg = cfg;
        this.weights = weights;
        this.timer = new KernelTimer(device);
        this.ops = new Ops(device, cfg, timer);
        try {
            this.scratch = new LayerScratch(device, cfg, rows, weights.retainingHidden(), ops.bf16Activations());
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
        this.reservedKeys = keys;
    }

    /**
     * Checks the memory plan against the device's free memory, then uploads the weights (and the
     * retaining heads when {@code heads} is not null) and allocates the scratch for calls of up
     * to {@code rows} rows over up to {@code keys} keys.
     *
     * @throws MemoryPlan.DoesNotFit before allocating anything when it does not fit
     */
    public static DeviceModel load(Device device, ModelWeights modelWeights, RetainingHeads heads, int rows, int keys) {
        return load(device, modelWeights, heads, rows, keys, ProgressListener.NONE);
    }

    /**
     * As {@link #load(Device, ModelWeights, RetainingHeads, int, int)}; {@code progress} sees the
     * bytes copied to the device after each tensor, with the part being loaded ("embeddings", "layer 3").
     */
    public static DeviceModel load(Device device, ModelWeights modelWeights, RetainingHeads heads, int rows, int keys,
                                   ProgressListener progress) {
        ModelConfig cfg = modelWeights.config();
        checkSupported(cfg);
        int retaining = heads == null ? 0 : heads.hiddenSize();
        MemoryPlan plan = plan(cfg, retaining, rows, keys, device.memory().freeBytes());
        plan.requireFits(device.name(), "use a device with more free memory, or fewer rows per call (" + rows + " asked)");
        DeviceModel m = new DeviceModel(device, cfg, DeviceWeights.upload(device, modelWeights, heads, progress), rows, keys);
        LOADS.incrementAndGet();
        return m;
    }

    /**
     * Fails when the kernels cannot run a model of this shape (checked by {@link #load}; callers
     * check it early to refuse a model before starting anything).
     */
    public static void checkSupported(ModelConfig cfg) {
        if (cfg.headDim() % 16 != 0 || cfg.headDim() > Attention.MAX_HEAD_DIM) {
            throw new IllegalArgumentException("head_dim " + cfg.headDim() + " is not supported by the attention kernel:"
                    + " it must be a multiple of 16 up to " + Attention.MAX_HEAD_DIM);
        }
    }

    /** Models loaded through {@link #load} in this class loader so far (one per rank and job, when all is well). */
    public static long loads() { return LOADS.get(); }

    /** What {@link #load} with these sizes allocates (and what the kernel library may add), on a device with {@code freeBytes} free. */
    public static MemoryPlan plan(ModelConfig cfg, int retainingHidden, int rows, int keys, long freeBytes) {
        return new MemoryPlan("the model (" + cfg.numLayers() + " layers) for calls of " + rows + " rows over " + keys + " keys",
                items(cfg, retainingHidden, rows, keys), freeBytes);
    }

    static List<MemoryPlan.Item> items(ModelConfig cfg, int retainingHidden, int rows, int keys) {
        return items(cfg, retainingHidden, rows, keys, LayerScratch.bytes(cfg, rows, retainingHidden));
    }

    private static List<MemoryPlan.Item> items(ModelConfig cfg, int retainingHidden, int rows, int keys, long scratchBytes) {
        if (rows <= 0) throw new IllegalArgumentException("rows must be positive, got " + rows);
        if (keys <= 0) throw new IllegalArgumentException("keys must be positive, got " + keys);
        return List.of(new MemoryPlan.Item("weights", MemoryPlan.weightBytes(cfg, retainingHidden)),
                new MemoryPlan.Item("layer scratch", scratchBytes),
                new MemoryPlan.Item("split-attention scratch", Ops.attentionScratchBytes(cfg, rows, keys)));
    }

    /** Bytes this model holds or may come to hold at its current size (its plan's total). */
    public long plannedBytes() {
        long sum = 0;
        int retaining = weights.retainingHidden();
        for (MemoryPlan.Item i : items(cfg, retaining, scratch.rows, reservedKeys,
                LayerScratch.bytes(cfg, scratch.rows, retaining, scratch.bf16Activations))) {
            sum += i.bytes();
        }
        return sum;
    }

    public int reservedRows() { return scratch.rows; }

    public int reservedKeys() { return reservedKeys; }

    /**
     * Device bytes this model may still allocate once reserved for (rows, keys): the growth of
     * its scratch, plus the kernel library's split-attention scratch, which is allocated on first
     * use (counted whole: what it already holds is not known here, so this errs on the safe side).
     */
    @Override
    public long pendingBytes(int rows, int keys) {
        int r = Math.max(rows, scratch.rows), k = Math.max(keys, reservedKeys);
        int retaining = weights.retainingHidden();
        boolean bf16 = scratch.bf16Activations;
        return LayerScratch.bytes(cfg, r, retaining, bf16) - LayerScratch.bytes(cfg, scratch.rows, retaining, bf16)
                + Ops.attentionScratchBytes(cfg, r, k);
    }

    /**
     * Grows the scratch to calls of {@code rows} rows over {@code keys} keys (never shrinks).
     * Growing waits for the device and reallocates: call it before a request, not inside one.
     *
     * @throws MemoryPlan.DoesNotFit when the growth does not fit in the free memory (nothing changes)
     */
    @Override
    public void reserve(int rows, int keys) {
        requireOpen();
        if (rows <= scratch.rows && keys <= reservedKeys) return;
        int r = Math.max(rows, scratch.rows), k = Math.max(keys, reservedKeys);
        MemoryPlan.of("growing the model's scratch from " + scratch.rows + " to " + r + " rows and " + reservedKeys + " to " + k + " keys",
                device.memory().freeBytes(), new MemoryPlan.Item("scratch to come", pendingBytes(rows, keys)))
                .requireFits(device.name(), "fewer rows per call (a shorter block: more ranks, or a shorter context)");
        if (r > scratch.rows) {
            device.synchronize();   // earlier launches may still use the old scratch
            scratch.close();
            scratch = new LayerScratch(device, cfg, r, weights.retainingHidden(), ops.bf16Activations());
            scratchGeneration++;
        }
        reservedKeys = k;
    }

    /** Whether the model was loaded with retaining heads. */
    public boolean hasRetainingHeads() { return weights.retainingHidden() > 0; }

    /** Retaining-head hidden width (fc1 rows), 0 without heads. */
    public int retainingHidden() { return weights.retainingHidden(); }

    // --- profiling ----------------------------------------------------------------------------

    /** Per-kernel-kind device times since the last reset (waits for the device to read its marks). */
    public KernelTimes timing() { return timer.snapshot(); }

    public void resetTiming() { timer.reset(); }

    /** Profiling on: every launch is bracketed by device marks (see {@link KernelTimer}); off: only counted. */
    public void setProfiling(boolean on) { timer.setEnabled(on); }

    public boolean profiling() { return timer.enabled(); }

    // --- LayerSteps ---------------------------------------------------------------------------

    @Override public ModelConfig config() { return cfg; }

    @Override public Device device() { return device; }

    @Override
    public void embed(I32Array tokens, int n, F32Array x) {
        requireOpen();
        ops.embed(tokens, weights.embed, x, n);
    }

    @Override
    public void projectQkv(int layer, F32Array x, int n, F32Array q, BF16Array k, BF16Array v, int kvRow) {
        LayerOnDevice w = weights.layers[layer];
        requireRows(n);
        if (bf16Activations(n)) {
            normBf16(x, w.inputNorm(), n);
            ops.linear(q, scratch.normedBf16, w.wq(), w.bq(), n, cfg.hiddenSize(), cfg.qDim(), false);
            ops.linearToBf16(k, kvRow, scratch.normedBf16, w.wk(), w.bk(), n, cfg.hiddenSize(), cfg.kvDim());
            ops.linearToBf16(v, kvRow, scratch.normedBf16, w.wv(), w.bv(), n, cfg.hiddenSize(), cfg.kvDim());
            return;
        }
        ops.rmsNorm(scratch.normed, x, 0, w.inputNorm(), n);
        ops.linear(q, scratch.normed, w.wq(), w.bq(), n, cfg.hiddenSize(), cfg.qDim(), false);
        ops.linearToBf16(k, kvRow, scratch.normed, w.wk(), w.bk(), n, cfg.hiddenSize(), cfg.kvDim());
        ops.linearToBf16(v, kvRow, scratch.normed, w.wv(), w.bv(), n, cfg.hiddenSize(), cfg.kvDim());
    }

    /** Calls of more rows than the matrix-vector kernels take feed the GEMMs bf16 activations where the device has that GEMM. */
    private boolean bf16Activations(int n) { return scratch.bf16Activations && n > KernelOps.MATVEC_MAX_ROWS; }

    @Override
    public void retainingScores(int layer, F32Array q, BF16Array k, BF16Array v, int kvRow, int n, F32Array scores) {
        if (!hasRetainingHeads()) {
            throw new IllegalStateException("this model was loaded without retaining heads: pass RetainingHeads to load");
        }
        LayerOnDevice w = weights.layers[layer];
        requireRows(n);
        ops.retainingScores(q, k, v, kvRow, n, w.fc1(), w.fc2(), weights.retainingHidden(), scratch.retainingInput,
                scratch.retainingHidden, scores);
    }

    @Override
    public void rope(F32Array q, BF16Array k, int kvRow, int n, I32Array positions) {
        requireOpen();
        ops.rope(q, k, kvRow, n, positions, weights.invFreq);
    }

    @Override
    public void attention(F32Array q, int nq, BF16Array k, BF16Array v, AttentionMask mask, F32Array out, F32Array lse) {
        checkAttention(nq, mask);
        ops.attention(q, nq, k, v, mask, out, lse);
    }

    /**
     * Dense prefill's rest of layer {@code layer} once {@link #projectQkv} wrote q and the k, v
     * rows [kvRow, kvRow + n): {@link #rope} (query row t and key row kvRow + t at positions[t]),
     * {@link #attention} under {@code mask} and {@link #finishLayer}, with the fusions of
     * {@value #FUSED_PREFILL_PROPERTY} where they apply (bf16 activations, the Hopper attention).
     * For callers that need the attention output only for the o-projection (nothing merges it):
     * q and attn are scratch here, their contents afterwards unspecified.
     */
    public void ropeAttendAndFinishLayer(int layer, F32Array q, int n, BF16Array k, BF16Array v, int kvRow,
                                         I32Array positions, AttentionMask mask, F32Array x, F32Array attn, F32Array lse) {
        if (!fusedPrefill || !bf16Activations(n)) {
            rope(q, k, kvRow, n, positions);
            attention(q, n, k, v, mask, attn, lse);
            finishLayer(layer, x, attn, n);
            return;
        }
        checkAttention(n, mask);
        ops.ropeKeys(k, kvRow, n, positions, weights.invFreq);
        ops.attentionRopedToBf16(q, n, k, v, mask, positions, weights.invFreq, attn, lse, scratch.attnBf16);
        finishFromBf16(weights.layers[layer], x, n);
    }

    /** Turns the fusions of {@link #ropeAttendAndFinishLayer} on or off (default: {@value #FUSED_PREFILL_PROPERTY}); for tests and benchmarks. */
    public DeviceModel useFusedPrefill(boolean on) {
        this.fusedPrefill = on;
        return this;
    }

    public boolean fusedPrefill() { return fusedPrefill; }

    private void checkAttention(int nq, AttentionMask mask) {
        if (!mask.takesQueries(nq)) {
            throw new IllegalArgumentException("a " + mask + " takes the rows [A ; B] as queries: nq " + nq + " != a + b = "
                    + (mask.a() + mask.b()));
        }
        requireRows(nq);
        long keys = mask.keys();
        if (keys > reservedKeys) {
            throw new IllegalStateException(String.format(Locale.ROOT, "attention over %d keys, but the model is sized for"
                    + " %d (its split-attention scratch is planned for that): call reserve(rows, %d) before the request",
                    keys, reservedKeys, keys));
        }
    }

    @Override
    public void mergeAttention(F32Array outA, F32Array lseA, F32Array outB, F32Array lseB, int nq) {
        requireOpen();
        ops.merge(outA, lseA, outB, lseB, nq);
    }

    @Override
    public void finishLayer(int layer, F32Array x, F32Array attn, int n) {
        LayerOnDevice w = weights.layers[layer];
        requireRows(n);
        int h = cfg.hiddenSize(), inter = cfg.intermediateSize();
        if (bf16Activations(n)) {
            ops.toBf16(scratch.attnBf16, attn, (long) n * cfg.qDim());
            finishFromBf16(w, x, n);
            return;
        }
        ops.linear(x, attn, w.wo(), null, n, cfg.qDim(), h, true);
        ops.rmsNorm(scratch.normed, x, 0, w.postNorm(), n);
        if (n <= KernelOps.MATVEC_MAX_ROWS) {
            ops.gatedProduct(scratch.gate, scratch.normed, w.gate(), w.up(), n, h, inter);   // decode: one pass, fused SwiGLU
        } else {
            ops.linear(scratch.gate, scratch.normed, w.gate(), null, n, h, inter, false);
            ops.linear(scratch.up, scratch.normed, w.up(), null, n, h, inter, false);
            ops.swiglu(scratch.gate, scratch.up, (long) n * inter);
        }
        ops.linear(x, scratch.gate, w.down(), null, n, inter, h, true);
    }

    /** RMSNorm of x rows [0, n) into scratch.normedBf16: with the fused prefill on, the kernel that reads x once in 16-byte loads. */
    private void normBf16(F32Array x, BF16Array weight, int n) {
        if (fusedPrefill) {
            ops.rmsNormWide(scratch.normedBf16, x, 0, weight, n);
        } else {
            ops.rmsNorm(scratch.normedBf16, x, 0, weight, n);
        }
    }

    /** finishLayer with bf16 activations from the attention output already in scratch.attnBf16. */
    private void finishFromBf16(LayerOnDevice w, F32Array x, int n) {
        int h = cfg.hiddenSize(), inter = cfg.intermediateSize();
        ops.linear(x, scratch.attnBf16, w.wo(), null, n, cfg.qDim(), h, true);
        normBf16(x, w.postNorm(), n);
        ops.gateUpSwiGlu(scratch.hBf16, scratch.normedBf16, w.gate(), w.up(), n, h, inter);
        ops.linear(x, scratch.hBf16, w.down(), null, n, inter, h, true);
    }

    @Override
    public void logits(F32Array x, int row, F32Array logits) {
        requireOpen();
        int h = cfg.hiddenSize();
        ops.rmsNorm(scratch.normed, x, row, weights.finalNorm, 1);
        ops.linear(logits, scratch.normed, weights.lmHead, null, 1, h, cfg.vocabSize(), false);
    }

    @Override
    public void selectTopK(F32Array scores, int n, int excludeFirst, int k, I32Array indices) {
        requireOpen();
        ops.topK(scores, n, excludeFirst, k, indices);
    }

    @Override
    public void gatherKv(BF16Array srcK, BF16Array srcV, int srcRow, I32Array indices, int k,
                         BF16Array dstK, BF16Array dstV, int dstRow) {
        requireOpen();
        ops.gatherKv(srcK, srcV, srcRow, indices, k, dstK, dstV, dstRow);
    }

    /** Greedy token of {@code logits} [vocab] into {@code result} [1], on the device. */
    public void argmax(F32Array logits, I32Array result) {
        requireOpen();
        ops.argmax(logits, result);
    }

    // --- a decode step recorded once and replayed (DenseGenerator) ------------------------------

    /**
     * Decode-step attention of one query row: keys [0, step[0] + 1) of the cache (the new row at
     * step[0] already written), the cache length read on the device; the launch geometry depends
     * only on {@code maxKeys} (the cache capacity), so a recorded step replays at any length.
     */
    public void attentionAtStep(F32Array q, BF16Array k, BF16Array v, I32Array step, int maxKeys, F32Array out,
                                F32Array lse) {
        requireOpen();
        if (maxKeys > reservedKeys) {
            throw new IllegalStateException("attention over up to " + maxKeys + " keys, but the model is sized for "
                    + reservedKeys + ": call reserve(rows, " + maxKeys + ") first");
        }
        ops.attentionAtStep(q, k, v, step, maxKeys, out, lse);
    }

    /**
     * A decode step's attention inputs for layer {@code layer} from the one hidden row x: RMSNorm,
     * then q (RoPE applied at position step[0]) into q, and the new token's K (RoPE applied) and V
     * into row step[0] of the caches: two launches, the same values as {@link #projectQkv},
     * {@link #rope} and a copy into the cache row.
     */
    public void projectQkvAtStep(int layer, F32Array x, F32Array q, BF16Array kCache, BF16Array vCache, I32Array step) {
        LayerOnDevice w = weights.layers[layer];
        requireRows(1);
        ops.rmsNorm(scratch.normed, x, 0, w.inputNorm(), 1);
        ops.qkvAtStep(q, kCache, vCache, step, scratch.normed, w.wq(), w.wk(), w.wv(), w.bq(), w.bk(), w.bv(), weights.invFreq);
    }

    /** step[0] += 1 on the device. */
    public void advanceStep(I32Array step) {
        requireOpen();
        ops.advanceStep(step);
    }

    /** Allocates now the kernel library's split-attention scratch for every call within the reserved size (it is in the plan). */
    public void reserveAttentionScratch() {
        requireOpen();
        ops.reserveAttentionScratch(scratch.rows, reservedKeys);
    }

    /**
     * Changes whenever a buffer the layer steps use is reallocated (the scratch grown by
     * {@link #reserve}, the kernel library's attention scratch): work recorded before
     * ({@link Device#capture}) that used the old buffers must be recorded again.
     */
    public long layoutVersion() { return scratchGeneration + ops.scratchVersion(); }

    private void requireRows(int n) {
        requireOpen();
        if (n > scratch.rows) {
            throw new IllegalStateException("a call with " + n + " rows, but the model's scratch holds " + scratch.rows
                    + ": call reserve(" + n + ", keys) before the request");
        }
    }

    private void requireOpen() {
        if (closed) throw new IllegalStateException("this model is closed");
    }

    /** Frees the weights and scratch (waits for the device first). */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        device.synchronize();
        timer.close();
        ops.close();
        scratch.close();
        weights.close();
    }
}
