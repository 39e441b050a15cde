package org.apbj.parallel.strategy;

import java.util.List;
import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.runtime.Device;
import org.apbj.model.LayerSteps;
import org.apbj.model.MemoryPlan;
import org.apbj.parallel.comm.Communicator;
import org.apbj.parallel.strategy.RequestBuffers.Group;
import org.apbj.parallel.transfer.DeviceCollectives;
import org.apbj.parallel.transfer.Transfer;
import org.apbj.weights.ModelConfig;

/**
 * What every method's prefill shares: request checks, device buffers, the per-layer KV cache of
 * this rank's own block; a method supplies phase 1 ({@link #prepare}, {@link #runPrefill}).
 * Phase 2 (the query, the LSE merge across ranks, decoding and sampling) is {@link QueryPhase},
 * run on the KV the prefill left.
 *
 * <p>Memory: before a request allocates anything, a dry run of its allocations
 * ({@link #demand}) gives every buffer it will hold, item by item ({@link RequestBuffers.Group}),
 * and the rows and keys the layer steps must be reserved for; a request that does not fit in the
 * device's free memory is refused with the numbers and the largest context that would fit.
 * Nothing waits for the device except where the host needs data (staging for communication,
 * the logits of a sampled token).
 */
abstract class RankStrategy implements Strategy {

    protected final LayerSteps steps;
    protected final Communicator comm;
    protected final ModelConfig cfg;
    protected final Device device;
    protected final StrategyOptions options;
    protected final StepTimer timer;
    protected final HostStaging staging;
    /** The request's buffers: allocating, or counting during a dry run ({@link #demand}). */
    private RequestBuffers buffers;
    /** Device collectives of the request (opened by prefill on every rank of a multi-rank job). */
    private DeviceCollectives collectives;

    /** Per-layer K/V of this rank's own block (rows [0, cachedRows)), plus room to append on the last rank. */
    protected BF16Array[] cacheK;
    protected BF16Array[] cacheV;
    protected int cachedRows;
    private int contextLength;
    private int[] query;
    private boolean prefilled;
    private boolean answered;
    private boolean closed;

    RankStrategy(LayerSteps steps, Communicator comm, StrategyOptions options) {
        this.steps = steps;
        this.comm = comm;
        this.cfg = steps.config();
        this.device = steps.device();
        this.options = options;
        this.timer = new StepTimer(device, cfg.numLayers());
        this.staging = new HostStaging(device);
        this.buffers = RequestBuffers.allocating(device);
    }

    @Override public StepTimer timer() { return timer; }

    @Override
    public final void prefill(int[] context, int[] query) {
        requireOpen();
        if (prefilled) throw new IllegalStateException(method().id() + ": prefill runs once; create a new strategy for the next request");
        checkTokens("context", context);
        checkTokens("query", query);
        RequestDemand demand = demand(context.length, query.length);
        requireMemory(demand, context.length, query.length);
        steps.reserve(demand.rows(), demand.keys());
        if (comm.size() > 1) collectives = DeviceCollectives.open(comm, device, options.commPath(), priorityCopies());
        this.contextLength = context.length;
        this.query = query.clone();
        prepare(context.clone(), this.query);
        runPrefill();
        prefilled = true;
    }

    /** The most rows and keys a prefill's layer-step calls use, and the rows of block KV it keeps. */
    protected record PrefillShape(int rows, int keys, int keptRows) {}

    /**
     * Plans phase 1 on this rank and allocates its buffers (into fields) through
     * {@link #f32}/{@link #bf16}/{@link #i32} and {@link #allocateCache}, and declares its
     * collectives ({@link #collective}); nothing else: in a dry run those return null and only
     * count bytes.
     */
    protected abstract PrefillShape prepare(int[] context, int[] query);

    /** Phase 1 on this rank with the buffers of {@link #prepare}; leaves this rank's real block KV in cache rows [0, cachedRows). */
    protected abstract void runPrefill();

    /**
     * What a request with these lengths asks of this rank, by a dry run of its allocations
     * (prefill and phase 2); nothing is allocated.
     */
    final RequestDemand demand(int contextLength, int queryLength) {
        int savedLength = this.contextLength;
        int[] savedQuery = this.query;
        BF16Array[] savedK = cacheK, savedV = cacheV;
        RequestBuffers saved = buffers;
        buffers = RequestBuffers.planning(device);
        try {
            this.contextLength = contextLength;
            this.query = new int[queryLength];
            PrefillShape shape = prepare(new int[contextLength], this.query);
            new QueryPhase(steps, comm, options, timer, staging, buffers, null, null, contextLength, this.query);
            int phase2Keys = comm.isLast() ? shape.keptRows() + queryLength + options.maxNewTokens() : shape.keptRows();
            return new RequestDemand(buffers.items(), Math.max(shape.rows(), queryLength), Math.max(shape.keys(), phase2Keys));
        } finally {
            buffers = saved;
            this.contextLength = savedLength;
            this.query = savedQuery;
            cacheK = savedK;
            cacheV = savedV;
        }
    }

    /** Refuses, before anything is allocated, a request whose buffers and scratch do not fit. */
    private void requireMemory(RequestDemand d, int contextLength, int queryLength) {
        long free = device.memory().freeBytes();
        MemoryPlan plan = new MemoryPlan(describe(contextLength, queryLength), d.items(), free).plus(describe(contextLength, queryLength),
                List.of(new MemoryPlan.Item("model scratch to come", steps.pendingBytes(d.rows(), d.keys()))));
        if (plan.fits()) return;
        int largest = largestContextThatFits(contextLength, queryLength, free);
        plan.requireFits(device.name(), (largest > 0 ? "the largest context that fits on this rank with " + comm.size()
                + (comm.size() == 1 ? " rank is " : " ranks is ") + largest + " tokens" : "not even a short context fits")
                + "; use more ranks (each holds a block of context/ranks tokens) or a shorter context");
    }

    private String describe(int contextLength, int queryLength) {
        return "a " + method().id() + " request of " + contextLength + " context + " + queryLength + " query tokens (rank "
                + comm.rank() + " of " + comm.size() + ")";
    }

    /** The longest context below {@code contextLength} whose demand fits in {@code free} (0 if none). */
    private int largestContextThatFits(int contextLength, int queryLength, long free) {
        int lo = 0, hi = contextLength - 1;
        while (lo < hi) {
            int mid = lo + (hi - lo + 1) / 2;
            if (fits(mid, queryLength, free)) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    private boolean fits(int contextLength, int queryLength, long free) {
        try {
            RequestDemand d = demand(contextLength, queryLength);
            return MemoryPlan.of("probe", free, new MemoryPlan.Item("buffers", d.bufferBytes()),
                    new MemoryPlan.Item("scratch", steps.pendingBytes(d.rows(), d.keys()))).fits();
        } catch (IllegalArgumentException e) {
            return false;   // a length the split refuses (too short for the ranks)
        }
    }

    /** Whether this method's copies between ranks go on a stream of the greatest priority (CUDA); default no. */
    protected boolean priorityCopies() { return false; }

    /** The request's device collectives (null on a single rank). */
    protected final DeviceCollectives collectives() { return collectives; }

    /** How this request's device data travels between ranks ("device", "ipc", "host"; "none" on one rank). */
    @Override
    public final String commPath() { return collectives == null ? "none" : collectives.path().id(); }

    /** Waits for {@code t}, charging the wait as in {@link StepTimer#await}. */
    protected final void await(Phase phase, int layer, Transfer t) { timer.await(phase, layer, t); }

    /** Rows of KV cache this rank needs: its block, and on the last rank the query and generated tokens too. */
    protected final void allocateCache(int blockRows) {
        int rows = comm.isLast() ? blockRows + query.length + options.maxNewTokens() : blockRows;
        cacheK = new BF16Array[cfg.numLayers()];
        cacheV = new BF16Array[cfg.numLayers()];
        for (int l = 0; l < cfg.numLayers(); l++) {
            cacheK[l] = bf16(Group.KV_CACHE, (long) rows * cfg.kvDim());
            cacheV[l] = bf16(Group.KV_CACHE, (long) rows * cfg.kvDim());
        }
    }

    /** Whether {@link #prepare} runs as a dry run (skip host buffers too: nothing will use them). */
    protected final boolean planning() { return buffers.planning(); }

    /** Allocates an F32 buffer of the request under plan item {@code g} (in a dry run: counts it and returns null). */
    protected final F32Array f32(Group g, long n) { return buffers.f32(g, n); }
    protected final BF16Array bf16(Group g, long n) { return buffers.bf16(g, n); }
    protected final I32Array i32(Group g, long n) { return buffers.i32(g, n); }

    /** Declares a collective of the request by the bytes this rank sends and receives (for the host path's staging). */
    protected final void collective(long sendBytes, long recvBytes) { buffers.collective(sendBytes, recvBytes); }

    /** Copies tokens and positions to the device and embeds them into x. */
    protected final void embed(Phase phase, int[] tokens, int[] positions, I32Array tokBuf, I32Array posBuf, F32Array x) {
        embed(steps, timer, staging, phase, tokens, positions, tokBuf, posBuf, x);
    }

    /** As {@link #embed(Phase, int[], int[], I32Array, I32Array, F32Array)}, for phase 2 too. */
    static void embed(LayerSteps steps, StepTimer timer, HostStaging staging, Phase phase, int[] tokens, int[] positions,
                      I32Array tokBuf, I32Array posBuf, F32Array x) {
        timer.time(phase, -1, Category.OTHER, () -> {
            staging.toDevice(tokens, tokBuf);
            staging.toDevice(positions, posBuf);
            steps.embed(tokBuf, tokens.length, x);
        });
    }

    @Override
    public final Answer answer(int maxTokens) {
        requireOpen();
        if (!prefilled) throw new IllegalStateException(method().id() + ": call prefill(context, query) before answer");
        if (answered) throw new IllegalStateException(method().id() + ": answer runs once per prefill");
        if (maxTokens < 1 || maxTokens > options.maxNewTokens()) {
            throw new IllegalArgumentException("maxTokens " + maxTokens + " outside [1, " + options.maxNewTokens()
                    + "]: raise StrategyOptions.maxNewTokens (it sizes the last rank's KV room)");
        }
        answered = true;
        return new QueryPhase(steps, comm, options, timer, staging, buffers, collectives, new QueryPhase.RankKv(cacheK, cacheV, cachedRows),
                contextLength, query).run(maxTokens);
    }

    /** Token used for the padding at the end of the last rank's block (never seen by real tokens). */
    protected final int padToken() {
        return cfg.eosTokenIds().length > 0 ? cfg.eosTokenIds()[0] : 0;
    }

    private void checkTokens(String what, int[] tokens) {
        if (tokens == null || tokens.length == 0) throw new IllegalArgumentException("the " + what + " is empty: give at least one token");
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= cfg.vocabSize()) {
                throw new IllegalArgumentException(what + " token " + i + " has id " + tokens[i] + ", outside the vocabulary [0, "
                        + cfg.vocabSize() + ")");
            }
        }
    }

    private void requireOpen() {
        if (closed) throw new IllegalStateException(method().id() + " strategy is closed");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            if (collectives != null) collectives.close();
        } finally {
            try {
                timer.close();
            } finally {
                buffers.close();
                staging.close();
            }
        }
    }

    @Override
    public String toString() { return method().id() + " on " + comm + " (" + device.name() + ")"; }
}
