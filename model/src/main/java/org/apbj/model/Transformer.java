package org.apbj.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntPredicate;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.DeviceArray;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.lib.Attention;
import org.apbj.kernels.runtime.Device;
import org.apbj.model.DeviceWeights.LayerOnDevice;
import org.apbj.weights.ModelConfig;
import org.apbj.weights.ModelWeights;
import org.apbj.weights.RetainingHeads;

/**
 * A Llama / Qwen2 decoder resident on one {@link Device}: bf16 weights uploaded once, a bf16
 * KV cache per layer ([capacity, nKv·d] for K and for V), and every step a kernel launch.
 * Implements the per-layer {@link LayerSteps} the parallel strategies drive, and on top of
 * them the whole-model dense path of one host: {@link #prefill}, {@link #decode},
 * {@link #generate}. Not thread-safe: one caller drives it.
 */
public final class Transformer implements LayerSteps, AutoCloseable {

    /**
     * @param contextTokens KV-cache capacity in tokens (prompt + generated)
     * @param prefillChunk  tokens per forward chunk: the scratch buffers' row count (LayerSteps
     *                      calls with more rows grow the scratch)
     * @param timing        synchronise and time every launch (see {@link KernelTimes})
     */
    public record Options(int contextTokens, int prefillChunk, boolean timing) {
        public Options {
            if (contextTokens <= 0) throw new IllegalArgumentException("contextTokens must be positive, got " + contextTokens);
            if (prefillChunk <= 0) throw new IllegalArgumentException("prefillChunk must be positive, got " + prefillChunk);
        }

        /** A cache of {@code contextTokens}, chunks of up to 4096 tokens, timing off. */
        public static Options context(int contextTokens) {
            return new Options(contextTokens, Math.min(contextTokens, 4096), false);
        }

        public Options withPrefillChunk(int rows) { return new Options(contextTokens, rows, timing); }
        public Options withTiming(boolean on) { return new Options(contextTokens, prefillChunk, on); }
    }

    private final Device device;
    private final ModelConfig cfg;
    private final Options options;
    private final DeviceWeights weights;
    private final Ops ops;
    private final KernelTimer timer;
    private final BF16Array[] keyCache, valueCache;
    private final MemoryPlan plan;
    private Workspace ws;
    private int position;
    private boolean closed;

    private Transformer(Device device, ModelConfig cfg, Options options, MemoryPlan plan, DeviceWeights weights) {
        this.device = device;
        this.cfg = cfg;
        this.options = options;
        this.plan = plan;
        this.weights = weights;
        this.timer = new KernelTimer(device);
        this.ops = new Ops(device, cfg, timer);
        List<DeviceArray> made = new ArrayList<>();
        try {
            keyCache = new BF16Array[cfg.numLayers()];
            valueCache = new BF16Array[cfg.numLayers()];
            long cacheElements = (long) options.contextTokens() * cfg.kvDim();
            for (int l = 0; l < cfg.numLayers(); l++) {
                made.add(keyCache[l] = device.allocBF16(cacheElements));
                made.add(valueCache[l] = device.allocBF16(cacheElements));
            }
            ws = new Workspace(device, cfg, options.prefillChunk(), weights.retainingHidden());
        } catch (RuntimeException e) {
            made.forEach(DeviceArray::close);
            weights.close();
            throw e;
        }
        timer.setEnabled(options.timing());
    }

    /**
     * Checks the memory plan against the device's free memory, then uploads the weights (and
     * the retaining heads when {@code heads} is not null) and allocates the KV cache.
     *
     * @throws IllegalStateException before allocating anything when the model does not fit,
     *                               with the numbers and the largest context that would fit
     */
    public static Transformer load(Device device, ModelWeights modelWeights, RetainingHeads heads, Options options) {
        ModelConfig cfg = modelWeights.config();
        checkSupported(cfg);
        MemoryPlan plan = plan(cfg, heads == null ? 0 : heads.hiddenSize(), options, device.memory().freeBytes());
        plan.requireFits(device.name());
        DeviceWeights w = DeviceWeights.upload(device, modelWeights, heads);
        return new Transformer(device, cfg, options, plan, w);
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

    /** The memory a Transformer with these options would take on a device with {@code freeBytes} free. */
    public static MemoryPlan plan(ModelConfig cfg, int retainingHidden, Options options, long freeBytes) {
        return MemoryPlan.of(cfg, options.contextTokens(), options.prefillChunk(), retainingHidden, freeBytes);
    }

    // ------------------------------------------------------------------------------------------
    // Whole-model dense path

    /** Clears the KV cache and runs {@code tokens} from position 0; returns the last token's logits. */
    public float[] prefill(int[] tokens) {
        position = 0;
        return append(tokens);
    }

    /** Runs one more token at the next position; returns its logits. */
    public float[] decode(int token) {
        return append(new int[] {token});
    }

    /**
     * Runs {@code tokens} at positions [position(), position() + tokens.length), chunk by chunk,
     * appending their K/V to the cache; returns the last token's logits.
     */
    public float[] append(int[] tokens) {
        forward(tokens);
        F32Array host = F32Array.allocate(cfg.vocabSize());
        try {
            device.copyOut(host, ws.logits);
            return host.toArray();
        } finally {
            host.close();
        }
    }

    /** Runs {@code tokens} like {@link #append} and returns the greedy next token (argmax on the device). */
    public int appendGreedy(int[] tokens) {
        forward(tokens);
        ops.argmax(ws.logits, ws.next);
        I32Array host = I32Array.allocate(1);
        try {
            device.copyOut(host, ws.next);
            return host.get(0);
        } finally {
            host.close();
        }
    }

    /** The forward pass of {@link #append}, leaving the last token's logits in the workspace. */
    private void forward(int[] tokens) {
        requireOpen();
        if (tokens.length == 0) throw new IllegalArgumentException("no tokens to run");
        if (position + tokens.length > options.contextTokens()) {
            throw new IllegalStateException("KV cache holds " + options.contextTokens() + " tokens; " + position
                    + " are in it and " + tokens.length + " more do not fit: load with a larger Options.contextTokens");
        }
        for (int t : tokens) {
            if (t < 0 || t >= cfg.vocabSize()) {
                throw new IllegalArgumentException("token id " + t + " is outside the vocabulary [0, " + cfg.vocabSize() + ")");
            }
        }
        int chunk = options.prefillChunk();
        for (int start = 0; start < tokens.length; start += chunk) {
            int n = Math.min(chunk, tokens.length - start);
            forwardChunk(Arrays.copyOfRange(tokens, start, start + n), n);
        }
        logits(ws.x, lastChunkRows - 1, ws.logits);
    }

    private int lastChunkRows;

    private void forwardChunk(int[] tokens, int n) {
        int pos0 = position;
        int[] positions = new int[n];
        for (int i = 0; i < n; i++) positions[i] = pos0 + i;
        uploadInts(ws.tokens, tokens);
        uploadInts(ws.positions, positions);
        embed(ws.tokens, n, ws.x);
        for (int l = 0; l < cfg.numLayers(); l++) {
            projectQkv(l, ws.x, n, ws.q, keyCache[l], valueCache[l], pos0);
            rope(ws.q, keyCache[l], pos0, n, ws.positions);
            attention(ws.q, n, keyCache[l], valueCache[l], pos0, 0, n, true, ws.attn, ws.lse);
            finishLayer(l, ws.x, ws.attn, n);
        }
        position = pos0 + n;
        lastChunkRows = n;
    }

    private void uploadInts(I32Array dst, int[] values) {
        I32Array host = I32Array.fromArray(values);
        try {
            device.copy(dst, 0, host, 0, values.length);
        } finally {
            host.close();
        }
    }

    /** Greedy generation after {@code prompt}: at most {@code maxNew} tokens, stopping after one that {@code stop} accepts. */
    public int[] generate(int[] prompt, int maxNew, IntPredicate stop) {
        if (maxNew <= 0) return new int[0];
        position = 0;
        int next = appendGreedy(prompt);
        int[] out = new int[maxNew];
        int n = 0;
        while (true) {
            out[n++] = next;
            if (n == maxNew || stop.test(next)) break;
            next = appendGreedy(new int[] {next});
        }
        return Arrays.copyOf(out, n);
    }

    /** Tokens in the KV cache. */
    public int position() { return position; }

    /** Forgets the cached tokens (the cache memory stays allocated). */
    public void reset() { position = 0; }

    /** Layer {@code layer}'s key cache, BF16 [contextTokens, nKv·d], RoPE applied. */
    public BF16Array keyCache(int layer) { return keyCache[layer]; }

    public BF16Array valueCache(int layer) { return valueCache[layer]; }

    public Options options() { return options; }

    public MemoryPlan memoryPlan() { return plan; }

    /** Whether the model was loaded with retaining heads. */
    public boolean hasRetainingHeads() { return weights.retainingHidden() > 0; }

    // --- timing -------------------------------------------------------------------------------

    public KernelTimes timing() { return timer.snapshot(); }

    public void resetTiming() { timer.reset(); }

    public void setTiming(boolean on) { timer.setEnabled(on); }

    // ------------------------------------------------------------------------------------------
    // LayerSteps

    @Override public ModelConfig config() { return cfg; }

    @Override public Device device() { return device; }

    @Override
    public void embed(I32Array tokens, int n, F32Array x) {
        ops.embed(tokens, weights.embed, x, n);
    }

    @Override
    public void projectQkv(int layer, F32Array x, int n, F32Array q, BF16Array k, BF16Array v, int kvRow) {
        LayerOnDevice w = weights.layers[layer];
        ensureRows(n);
        ops.rmsNorm(ws.normed, x, 0, w.inputNorm(), n);
        ops.linear(q, ws.normed, w.wq(), w.bq(), n, cfg.hiddenSize(), cfg.qDim(), false);
        ops.linearToBf16(k, kvRow, ws.normed, w.wk(), w.bk(), n, cfg.hiddenSize(), cfg.kvDim());
        ops.linearToBf16(v, kvRow, ws.normed, w.wv(), w.bv(), n, cfg.hiddenSize(), cfg.kvDim());
    }

    @Override
    public void retainingScores(int layer, F32Array q, BF16Array k, BF16Array v, int kvRow, int n, F32Array scores) {
        if (!hasRetainingHeads()) {
            throw new IllegalStateException("this Transformer was loaded without retaining heads: pass RetainingHeads to load");
        }
        LayerOnDevice w = weights.layers[layer];
        ensureRows(n);
        ops.retainingScores(q, k, v, kvRow, n, w.fc1(), w.fc2(), weights.retainingHidden(), ws.retainingHidden,
                ws.rawScores, scores);
    }

    @Override
    public void rope(F32Array q, BF16Array k, int kvRow, int n, I32Array positions) {
        ops.rope(q, k, kvRow, n, positions, weights.invFreq);
    }

    @Override
    public void attention(F32Array q, int nq, BF16Array k, BF16Array v, int p, int a, int b, boolean causal,
                          F32Array out, F32Array lse) {
        if (causal && nq != a + b) {
            throw new IllegalArgumentException("causal attention takes the rows [A ; B] as queries: nq " + nq + " != a + b = " + (a + b));
        }
        ops.attention(q, nq, k, v, p, a, b, causal, out, lse);
    }

    @Override
    public void mergeAttention(F32Array outA, F32Array lseA, F32Array outB, F32Array lseB, int nq) {
        ops.merge(outA, lseA, outB, lseB, nq);
    }

    @Override
    public void finishLayer(int layer, F32Array x, F32Array attn, int n) {
        LayerOnDevice w = weights.layers[layer];
        ensureRows(n);
        int h = cfg.hiddenSize(), inter = cfg.intermediateSize();
        ops.linear(x, attn, w.wo(), null, n, cfg.qDim(), h, true);
        ops.rmsNorm(ws.normed, x, 0, w.postNorm(), n);
        ops.linear(ws.gate, ws.normed, w.gate(), null, n, h, inter, false);
        ops.linear(ws.up, ws.normed, w.up(), null, n, h, inter, false);
        ops.swiglu(ws.gate, ws.up, n * inter);
        ops.linear(x, ws.gate, w.down(), null, n, inter, h, true);
    }

    @Override
    public void logits(F32Array x, int row, F32Array logits) {
        int h = cfg.hiddenSize();
        ops.rmsNorm(ws.normed, x, row, weights.finalNorm, 1);
        ops.linear(logits, ws.normed, weights.lmHead, null, 1, h, cfg.vocabSize(), false);
    }

    @Override
    public void selectTopK(F32Array scores, int n, int excludeFirst, int k, I32Array indices) {
        ops.topK(scores, n, excludeFirst, k, indices);
    }

    @Override
    public void gatherKv(BF16Array srcK, BF16Array srcV, int srcRow, I32Array indices, int k,
                         BF16Array dstK, BF16Array dstV, int dstRow) {
        ops.gatherKv(srcK, srcV, srcRow, indices, k, dstK, dstV, dstRow);
    }

    /** Grows the scratch when a caller passes more rows than it holds. */
    private void ensureRows(int n) {
        requireOpen();
        if (n <= ws.rows) return;
        device.synchronize();
        ws.close();
        ws = new Workspace(device, cfg, n, weights.retainingHidden());
    }

    private void requireOpen() {
        if (closed) throw new IllegalStateException("this Transformer is closed");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        device.synchronize();
        ws.close();
        for (int l = 0; l < keyCache.length; l++) {
            keyCache[l].close();
            valueCache[l].close();
        }
        weights.close();
    }
}
