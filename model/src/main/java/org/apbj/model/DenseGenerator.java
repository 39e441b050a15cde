package org.apbj.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntPredicate;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.DeviceArray;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.Replayable;
import org.apbj.weights.ModelConfig;
import org.apbj.weights.ModelWeights;
import org.apbj.weights.ProgressListener;
import org.apbj.weights.RetainingHeads;

/**
 * Dense generation on one device: a bf16 KV cache per layer ([capacity, nKv·d] for K and for V)
 * over a {@link DeviceModel}, chunked prefill ({@link #prefill}), one-token steps
 * ({@link #decode}) and greedy generation ({@link #generate}). Work is enqueued on the device
 * without waiting; the host waits only where it needs a value: the logits a call returns, or the
 * greedy token (argmax on the device, four bytes back). Not thread-safe: one caller drives it.
 */
public final class DenseGenerator implements AutoCloseable {

    /**
     * @param contextTokens KV-cache capacity in tokens (prompt + generated)
     * @param prefillChunk  tokens per forward chunk: the row count of the scratch buffers
     * @param profile       bracket every launch with device marks for the per-kernel-kind
     *                      breakdown ({@link #timing()}); nothing waits for the device either way
     */
    public record Options(int contextTokens, int prefillChunk, boolean profile) {
        public Options {
            if (contextTokens <= 0) throw new IllegalArgumentException("contextTokens must be positive, got " + contextTokens);
            if (prefillChunk <= 0) throw new IllegalArgumentException("prefillChunk must be positive, got " + prefillChunk);
        }

        /** A cache of {@code contextTokens}, chunks of up to 4096 tokens, no profiling. */
        public static Options context(int contextTokens) {
            return new Options(contextTokens, Math.min(contextTokens, 4096), false);
        }

        public Options withPrefillChunk(int rows) { return new Options(contextTokens, rows, profile); }
        public Options withProfile(boolean on) { return new Options(contextTokens, prefillChunk, on); }

        /** Rows of the forward chunks: the chunk, capped by the context. */
        int rows() { return Math.min(prefillChunk, contextTokens); }
    }

    private final DeviceModel model;
    private final boolean ownsModel;
    private final Device device;
    private final ModelConfig cfg;
    private final Options options;
    private final MemoryPlan plan;
    private final BF16Array[] keyCache, valueCache;
    private final Buffers buf;
    private int position;
    private int lastChunkRows;
    private boolean closed;
    // The one-token decode step (see decodeStep): its recorded graph, the layout it was recorded
    // on, the layout of the last direct step, and what the device's step buffers hold (-1: unknown).
    private boolean graphs = !"false".equalsIgnoreCase(System.getProperty(GRAPHS_PROPERTY, "true"));
    private Replayable stepGraph;
    private long stepGraphLayout = -1, directStepLayout = -1;
    private int devicePosition = -1, deviceToken = -1;
    private long graphReplays;

    /** Set to false to launch every decode step from the host instead of replaying a recorded graph ({@code -Dapbj.decode.graphs=false}). */
    public static final String GRAPHS_PROPERTY = "apbj.decode.graphs";

    /**
     * The generator's own device buffers for chunks of {@code rows} tokens, and those of the
     * one-token decode step: its position (= cache length = the new row) and token on the device
     * (the step's QKV kernel writes the new token's K and V straight into the cache row).
     */
    private record Buffers(I32Array tokens, I32Array positions, F32Array x, F32Array q, F32Array attn, F32Array lse,
                           F32Array logits, I32Array next, I32Array stepPosition, I32Array stepToken) {
        static long bytes(ModelConfig c, int rows) {
            long r = rows;
            return 4 * (2 * r + r * (c.hiddenSize() + 2L * c.qDim() + c.numHeads()) + c.vocabSize() + 1 + 2);
        }

        List<DeviceArray> all() {
            return List.of(tokens, positions, x, q, attn, lse, logits, next, stepPosition, stepToken);
        }
    }

    private DenseGenerator(DeviceModel model, boolean ownsModel, Options options, MemoryPlan plan) {
        this.model = model;
        this.ownsModel = ownsModel;
        this.device = model.device();
        this.cfg = model.config();
        this.options = options;
        this.plan = plan;
        List<DeviceArray> made = new ArrayList<>();
        try {
            keyCache = new BF16Array[cfg.numLayers()];
            valueCache = new BF16Array[cfg.numLayers()];
            long cacheElements = (long) options.contextTokens() * cfg.kvDim();
            for (int l = 0; l < cfg.numLayers(); l++) {
                made.add(keyCache[l] = device.allocBF16(cacheElements));
                made.add(valueCache[l] = device.allocBF16(cacheElements));
            }
            long r = options.rows();
            I32Array tokens = keep(made, device.allocI32(r)), positions = keep(made, device.allocI32(r));
            F32Array x = keep(made, device.allocF32(r * cfg.hiddenSize())), q = keep(made, device.allocF32(r * cfg.qDim()));
            F32Array attn = keep(made, device.allocF32(r * cfg.qDim())), lse = keep(made, device.allocF32(r * cfg.numHeads()));
            F32Array logits = keep(made, device.allocF32(cfg.vocabSize()));
            I32Array next = keep(made, device.allocI32(1));
            I32Array stepPosition = keep(made, device.allocI32(1)), stepToken = keep(made, device.allocI32(1));
            buf = new Buffers(tokens, positions, x, q, attn, lse, logits, next, stepPosition, stepToken);
            // all of the split-attention scratch now (it is in the plan): a later call never
            // reallocates it under a recorded decode step
            model.reserveAttentionScratch();
        } catch (RuntimeException e) {
            made.forEach(DeviceArray::close);
            if (ownsModel) model.close();
            throw e;
        }
        model.setProfiling(options.profile());
    }

    private static <A extends DeviceArray> A keep(List<DeviceArray> made, A a) {
        made.add(a);
        return a;
    }

    /**
     * Checks the memory plan against the device's free memory, then loads the model (with the
     * retaining heads when {@code heads} is not null) and allocates the KV cache and buffers.
     *
     * @throws MemoryPlan.DoesNotFit before allocating anything when it does not fit, with the
     *                               numbers and the largest context that would fit
     */
    public static DenseGenerator load(Device device, ModelWeights weights, RetainingHeads heads, Options options) {
        return load(device, weights, heads, options, ProgressListener.NONE);
    }

    /**
     * As {@link #load(Device, ModelWeights, RetainingHeads, Options)}; {@code progress} sees the
     * bytes copied to the device after each tensor, with the part being loaded ("embeddings", "layer 3").
     */
    public static DenseGenerator load(Device device, ModelWeights weights, RetainingHeads heads, Options options,
                                      ProgressListener progress) {
        ModelConfig cfg = weights.config();
        DeviceModel.checkSupported(cfg);
        int retaining = heads == null ? 0 : heads.hiddenSize();
        long free = device.memory().freeBytes();
        MemoryPlan plan = plan(cfg, retaining, options, free);
        plan.requireFits(device.name(), advice(cfg, retaining, options, free));
        DeviceModel model = DeviceModel.load(device, weights, heads, options.rows(), options.contextTokens(), progress);
        return new DenseGenerator(model, true, options, plan);
    }

    /**
     * A generator on a model already loaded (not closed with the generator): reserves the model
     * for its chunks and context, then allocates the KV cache and buffers.
     *
     * @throws MemoryPlan.DoesNotFit before allocating anything when they do not fit
     */
    public static DenseGenerator on(DeviceModel model, Options options) {
        ModelConfig cfg = model.config();
        Device device = model.device();
        MemoryPlan plan = new MemoryPlan("a dense generator for " + options.contextTokens() + " tokens on the loaded model",
                List.of(new MemoryPlan.Item("model scratch to come", model.pendingBytes(options.rows(), options.contextTokens())),
                        new MemoryPlan.Item("KV cache for " + options.contextTokens() + " tokens", MemoryPlan.kvBytes(cfg, options.contextTokens())),
                        new MemoryPlan.Item("generator buffers for " + options.rows() + "-token chunks", Buffers.bytes(cfg, options.rows()))),
                device.memory().freeBytes());
        plan.requireFits(device.name(), "lower the context or the prefill chunk");
        model.reserve(options.rows(), options.contextTokens());
        return new DenseGenerator(model, false, options, plan);
    }

    /** The memory {@link #load} with these options needs, on a device with {@code freeBytes} free. */
    public static MemoryPlan plan(ModelConfig cfg, int retainingHidden, Options options, long freeBytes) {
        List<MemoryPlan.Item> items = new ArrayList<>(DeviceModel.items(cfg, retainingHidden, options.rows(), options.contextTokens()));
        items.add(new MemoryPlan.Item("KV cache for " + options.contextTokens() + " tokens", MemoryPlan.kvBytes(cfg, options.contextTokens())));
        items.add(new MemoryPlan.Item("generator buffers for " + options.rows() + "-token chunks", Buffers.bytes(cfg, options.rows())));
        return new MemoryPlan("the dense generator for " + options.contextTokens() + " tokens", items, freeBytes);
    }

    /** The longest context whose plan fits in {@code freeBytes} with these options' chunk (0 if none does). */
    public static int largestContextThatFits(ModelConfig cfg, int retainingHidden, Options options, long freeBytes) {
        int lo = 0, hi = Integer.MAX_VALUE / 2;
        while (lo < hi) {   // the plan grows with the context: find the last that fits
            int mid = lo + (hi - lo + 1) / 2;
            Options o = new Options(mid, options.prefillChunk(), options.profile());
            if (plan(cfg, retainingHidden, o, freeBytes).fits()) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    private static String advice(ModelConfig cfg, int retaining, Options options, long free) {
        int largest = largestContextThatFits(cfg, retaining, options, free);
        return largest == 0
                ? "not even one token of context fits: use a device with more memory, or a smaller prefill chunk (" + options.prefillChunk() + " now)"
                : "the largest context that fits is " + largest + " tokens (lower the context, or the prefill chunk to shrink the scratch)";
    }

    // ------------------------------------------------------------------------------------------

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
     * appending their K/V to the cache; returns the last token's logits (the one wait).
     */
    public float[] append(int[] tokens) {
        if (tokens.length == 1) {
            decodeStep(tokens[0]);
            deviceToken = -1;   // the step's argmax is on the device, not read
            return readLogits();
        }
        forward(tokens);
        return readLogits();
    }

    private float[] readLogits() {
        try (F32Array host = F32Array.allocate(cfg.vocabSize())) {
            device.copy(host, 0, buf.logits(), 0, cfg.vocabSize());
            return host.toArray();
        }
    }

    /** Runs {@code tokens} like {@link #append} and returns the greedy next token (argmax on the device; four bytes come back). */
    public int appendGreedy(int[] tokens) {
        if (tokens.length == 1) {
            decodeStep(tokens[0]);
            try (I32Array host = I32Array.allocate(1)) {
                device.copy(host, 0, buf.stepToken(), 0, 1);
                deviceToken = host.get(0);   // the step left its greedy token where the next step reads its input
                return deviceToken;
            }
        }
        forward(tokens);
        model.argmax(buf.logits(), buf.next());
        try (I32Array host = I32Array.allocate(1)) {
            device.copy(host, 0, buf.next(), 0, 1);
            return host.get(0);
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

    /** The forward pass of {@link #append}, leaving the last token's logits in the logits buffer; enqueues only. */
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
        int chunk = options.rows();
        for (int start = 0; start < tokens.length; start += chunk) {
            forwardChunk(tokens, start, Math.min(chunk, tokens.length - start));
        }
        model.logits(buf.x(), lastChunkRows - 1, buf.logits());
    }

    private void forwardChunk(int[] tokens, int start, int n) {
        int pos0 = position;
        int[] positions = new int[n];
        for (int i = 0; i < n; i++) positions[i] = pos0 + i;
        upload(buf.tokens(), Arrays.copyOfRange(tokens, start, start + n));
        upload(buf.positions(), positions);
        model.embed(buf.tokens(), n, buf.x());
        for (int l = 0; l < cfg.numLayers(); l++) {
            model.projectQkv(l, buf.x(), n, buf.q(), keyCache[l], valueCache[l], pos0);
            model.ropeAttendAndFinishLayer(l, buf.q(), n, keyCache[l], valueCache[l], pos0, buf.positions(),
                    AttentionMask.appended(pos0, n), buf.x(), buf.attn(), buf.lse());
        }
        position = pos0 + n;
        lastChunkRows = n;
    }

    /**
     * One token at the next position, as one decode step whose changing values live on the
     * device (position in {@code stepPosition}, token in {@code stepToken}): the step's launches
     * are recorded once ({@link Device#capture}: a CUDA graph) and replayed for every later
     * token; the step itself writes the greedy next token into {@code stepToken} and advances the
     * position, so a greedy loop uploads nothing. The first step with a given buffer layout runs
     * directly (it loads the kernels; capture records no module load); graphs off (or profiling,
     * whose marks a graph cannot hold) runs every step directly, with the same kernels and
     * arguments, so both give the same bits.
     */
    private void decodeStep(int token) {
        requireOpen();
        if (position + 1 > options.contextTokens()) {
            throw new IllegalStateException("KV cache holds " + options.contextTokens() + " tokens; " + position
                    + " are in it and one more does not fit: load with a larger Options.contextTokens");
        }
        if (token < 0 || token >= cfg.vocabSize()) {
            throw new IllegalArgumentException("token id " + token + " is outside the vocabulary [0, " + cfg.vocabSize() + ")");
        }
        if (devicePosition != position) upload(buf.stepPosition(), new int[] {position});
        if (deviceToken != token) upload(buf.stepToken(), new int[] {token});
        long layout = model.layoutVersion();
        if (!graphs || model.profiling()) {
            enqueueStep();
        } else if (stepGraph != null && stepGraphLayout == layout) {
            stepGraph.replay();
            graphReplays++;
        } else if (directStepLayout == layout) {
            closeStepGraph();
            stepGraph = device.capture(this::enqueueStep);
            stepGraphLayout = layout;
            stepGraph.replay();
            graphReplays++;
        } else {
            enqueueStep();
            directStepLayout = model.layoutVersion();
        }
        position++;
        devicePosition = position;
        lastChunkRows = 1;
    }

    /** The decode step's launches (enqueued, or recorded by a capture). */
    private void enqueueStep() {
        I32Array step = buf.stepPosition();
        model.embed(buf.stepToken(), 1, buf.x());
        for (int l = 0; l < cfg.numLayers(); l++) {
            model.projectQkvAtStep(l, buf.x(), buf.q(), keyCache[l], valueCache[l], step);   // position = step[0]
            model.attentionAtStep(buf.q(), keyCache[l], valueCache[l], step, options.contextTokens(), buf.attn(), buf.lse());
            model.finishLayer(l, buf.x(), buf.attn(), 1);
        }
        model.logits(buf.x(), 0, buf.logits());
        model.argmax(buf.logits(), buf.stepToken());
        model.advanceStep(step);
    }

    private void closeStepGraph() {
        if (stepGraph != null) stepGraph.close();
        stepGraph = null;
    }

    /**
     * Decode steps as recorded graphs (on by default, {@value #GRAPHS_PROPERTY}) or launched
     * from the host each time. Devices without graphs re-run the step from the host either way.
     */
    public void setGraphs(boolean on) {
        graphs = on;
        if (!on) closeStepGraph();
    }

    public boolean graphs() { return graphs; }

    /** Decode steps run by replaying the recorded step so far (a CUDA graph where {@link Device#capturesGraphs()}). */
    public long graphReplays() { return graphReplays; }

    /** Host ids into a device buffer, in the device's order of work (the host array is free on return). */
    private void upload(I32Array dst, int[] values) {
        try (I32Array host = I32Array.fromArray(values)) {
            device.enqueueCopy(dst, 0, host, 0, values.length);
        }
    }

    /**
     * For decode benchmarks: treats the first {@code tokens} rows of the KV cache as filled
     * without running them (whatever the cache holds, zeros after loading), so that decoding
     * can be timed at a long context without its prefill. Decode time does not depend on the
     * cached values; the tokens it produces mean nothing.
     */
    public void assumeCached(int tokens) {
        requireOpen();
        if (tokens < 0 || tokens >= options.contextTokens()) {
            throw new IllegalArgumentException("assumeCached(" + tokens + "): the cache holds " + options.contextTokens()
                    + " tokens and one must stay free to decode");
        }
        position = tokens;
    }

    /** Tokens in the KV cache. */
    public int position() { return position; }

    /** Forgets the cached tokens (the cache memory stays allocated). */
    public void reset() { position = 0; }

    /** Layer {@code layer}'s key cache, BF16 [contextTokens, nKv·d], RoPE applied. */
    public BF16Array keyCache(int layer) { return keyCache[layer]; }

    public BF16Array valueCache(int layer) { return valueCache[layer]; }

    public Options options() { return options; }

    /** The plan this generator was checked against (model items included when it loaded the model). */
    public MemoryPlan memoryPlan() { return plan; }

    /** The model it runs on (its LayerSteps). */
    public DeviceModel model() { return model; }

    /** Per-kernel-kind device times since the last reset (profiling on: see {@link Options#profile}). */
    public KernelTimes timing() { return model.timing(); }

    public void resetTiming() { model.resetTiming(); }

    public void setProfiling(boolean on) { model.setProfiling(on); }

    private void requireOpen() {
        if (closed) throw new IllegalStateException("this generator is closed");
    }

    /** Frees the cache and buffers, and the model when {@link #load} loaded it. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        device.synchronize();
        for (int l = 0; l < keyCache.length; l++) {
            keyCache[l].close();
            valueCache[l].close();
        }
        closeStepGraph();
        for (DeviceArray a : buf.all()) a.close();
        if (ownsModel) model.close();
    }
}
