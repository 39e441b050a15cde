package org.apbj.parallel.strategy;

import java.util.ArrayList;
import java.util.List;
import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.DeviceArray;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.runtime.Device;
import org.apbj.model.LayerSteps;
import org.apbj.model.MemoryPlan;
import org.apbj.parallel.comm.Communicator;
import org.apbj.parallel.plan.PrefillPlanner;
import org.apbj.parallel.transfer.DeviceCollectives;
import org.apbj.parallel.transfer.Transfer;
import org.apbj.weights.ModelConfig;

/**
 * What every method shares: request checks, device buffers, the per-layer KV cache of this
 * rank's own block, and phase 2 (APB-SPEC.md): the query tokens run on every rank at their
 * true positions; each rank attends with its local KV (non-last ranks see all of their block,
 * the last rank also its appended query and generated tokens, causally); the partial (out, lse)
 * are all-gathered and merged exactly in rank order, so every rank holds the same hidden
 * states; the last rank samples greedily and broadcasts the token.
 *
 * <p>Memory: before a request allocates anything, a dry run of its allocations
 * ({@link #demand}) gives the bytes of every buffer it will hold and the rows and keys the layer
 * steps must be reserved for; a request that does not fit in the device's free memory is refused
 * with the numbers and the largest context that would fit. Nothing waits for the device except
 * where the host needs data (staging for communication, the logits of a sampled token).
 */
abstract class RankStrategy implements Strategy {

    protected final LayerSteps steps;
    protected final Communicator comm;
    protected final ModelConfig cfg;
    protected final Device device;
    protected final StrategyOptions options;
    protected final StepTimer timer;
    protected final HostStaging staging;
    private final List<DeviceArray> owned = new ArrayList<>();
    /** Device collectives of the request (opened by prefill on every rank of a multi-rank job). */
    private DeviceCollectives collectives;

    /** Per-layer K/V of this rank's own block (rows [0, cachedRows)), plus room to append on the last rank. */
    protected BF16Array[] cacheK;
    protected BF16Array[] cacheV;
    protected int cachedRows;
    private boolean planning;
    private long plannedBytes;
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
        if (comm.size() > 1) collectives = DeviceCollectives.open(comm, device, options.commPath());
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
     * {@link #f32}/{@link #bf16}/{@link #i32} and {@link #allocateCache}; nothing else: in a dry
     * run those return null and only count bytes.
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
        planning = true;
        plannedBytes = 0;
        try {
            this.contextLength = contextLength;
            this.query = new int[queryLength];
            PrefillShape shape = prepare(new int[contextLength], this.query);
            new QueryRun(1);
            int phase2Keys = comm.isLast() ? shape.keptRows() + queryLength + options.maxNewTokens() : shape.keptRows();
            return new RequestDemand(plannedBytes, Math.max(shape.rows(), queryLength), Math.max(shape.keys(), phase2Keys));
        } finally {
            planning = false;
            this.contextLength = savedLength;
            this.query = savedQuery;
            cacheK = savedK;
            cacheV = savedV;
        }
    }

    /** Refuses, before anything is allocated, a request whose buffers and scratch do not fit. */
    private void requireMemory(RequestDemand d, int contextLength, int queryLength) {
        long free = device.memory().freeBytes();
        MemoryPlan plan = MemoryPlan.of(describe(contextLength, queryLength), free,
                new MemoryPlan.Item(method().id() + " buffers", d.bufferBytes()),
                new MemoryPlan.Item("model scratch to come", steps.pendingBytes(d.rows(), d.keys())));
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

    /** The request's device collectives (null on a single rank). */
    protected final DeviceCollectives collectives() { return collectives; }

    /** How this request's device data travels between ranks ("device", "ipc", "host"; "none" on one rank). */
    @Override
    public final String commPath() { return collectives == null ? "none" : collectives.path().id(); }

    /**
     * Waits for {@code t}: the compute queue's wait is charged to
     * {@link Category#EXPOSED_COMMUNICATION} (device marks around it), the transfer's own time
     * to {@link Category#COMMUNICATION}.
     */
    protected final void await(Phase phase, int layer, Transfer t) {
        timer.time(phase, layer, Category.EXPOSED_COMMUNICATION, t::await);
        timer.add(phase, layer, Category.COMMUNICATION, t.nanos());
    }

    /** Rows of KV cache this rank needs: its block, and on the last rank the query and generated tokens too. */
    protected final void allocateCache(int blockRows) {
        int rows = comm.isLast() ? blockRows + query.length + options.maxNewTokens() : blockRows;
        cacheK = new BF16Array[cfg.numLayers()];
        cacheV = new BF16Array[cfg.numLayers()];
        for (int l = 0; l < cfg.numLayers(); l++) {
            cacheK[l] = bf16((long) rows * cfg.kvDim());
            cacheV[l] = bf16((long) rows * cfg.kvDim());
        }
    }

    /** Whether {@link #prepare} runs as a dry run (skip host buffers too: nothing will use them). */
    protected final boolean planning() { return planning; }

    /** Allocates an F32 buffer of the request (in a dry run: counts it and returns null). */
    protected final F32Array f32(long n) { return planning ? planned(n, 4) : own(device.allocF32(Math.max(1, n))); }
    protected final BF16Array bf16(long n) { return planning ? planned(n, 2) : own(device.allocBF16(Math.max(1, n))); }
    protected final I32Array i32(long n) { return planning ? planned(n, 4) : own(device.allocI32(Math.max(1, n))); }

    private <A extends DeviceArray> A planned(long n, int elementBytes) {
        plannedBytes += Math.max(1, n) * elementBytes;
        return null;
    }

    private <A extends DeviceArray> A own(A a) {
        owned.add(a);
        return a;
    }

    /** Copies tokens and positions to the device and embeds them into x. */
    protected final void embed(Phase phase, int[] tokens, int[] positions, I32Array tokBuf, I32Array posBuf, F32Array x) {
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
        return new QueryRun(maxTokens).run();
    }

    /** Phase 2 state: buffers sized for the query, reused for every decoded token. */
    private final class QueryRun {
        final int maxTokens;
        final int hosts = comm.size();
        final boolean last = comm.isLast();
        final int m = query.length;
        final int qDim = cfg.qDim();
        final int nh = cfg.numHeads();
        final F32Array x = f32((long) m * cfg.hiddenSize());
        final F32Array q = f32((long) m * qDim);
        final F32Array out = f32((long) m * qDim);
        final F32Array lse = f32((long) m * nh);
        final F32Array partOut = hosts > 1 ? f32((long) m * qDim) : null;
        final F32Array partLse = hosts > 1 ? f32((long) m * nh) : null;
        final BF16Array kScratch = last ? null : bf16((long) m * cfg.kvDim());
        final BF16Array vScratch = last ? null : bf16((long) m * cfg.kvDim());
        final I32Array tok = i32(m);
        final I32Array pos = i32(m);
        final F32Array logits = last ? f32(cfg.vocabSize()) : null;
        final F32Array allOut = hosts > 1 ? f32((long) hosts * m * qDim) : null;
        final F32Array allLse = hosts > 1 ? f32((long) hosts * m * nh) : null;
        final float[] hostLogits = last ? new float[cfg.vocabSize()] : null;
        int appended;

        QueryRun(int maxTokens) { this.maxTokens = maxTokens; }

        Answer run() {
            List<Integer> generated = new ArrayList<>();
            float[] firstLogits = null;
            int[] tokens = query;
            int position = contextLength;
            Phase phase = Phase.QUERY;
            while (true) {
                int next = step(phase, tokens, position);
                if (firstLogits == null && last) firstLogits = hostLogits.clone();
                position += tokens.length;
                generated.add(next);
                if (generated.size() >= maxTokens || isEos(next)) break;
                tokens = new int[] {next};
                phase = Phase.DECODE;
            }
            return new Answer(generated.stream().mapToInt(Integer::intValue).toArray(), firstLogits);
        }

        /** Runs tokens at [position, position + n) through all layers; returns the next token (on every rank). */
        private int step(Phase phase, int[] tokens, int position) {
            int n = tokens.length;
            embed(phase, tokens, PrefillPlanner.range(position, n), tok, pos, x);
            for (int layer = 0; layer < cfg.numLayers(); layer++) {
                final int l = layer;
                BF16Array kDst = last ? cacheK[l] : kScratch;
                BF16Array vDst = last ? cacheV[l] : vScratch;
                int kvRow = last ? cachedRows + appended : 0;
                timer.time(phase, l, Category.QKV_SCORING, () -> {
                    steps.projectQkv(l, x, n, q, kDst, vDst, kvRow);
                    steps.rope(q, kDst, kvRow, n, pos);
                });
                timer.time(phase, l, Category.ATTENTION, () -> {
                    if (last) steps.attention(q, n, cacheK[l], cacheV[l], cachedRows + appended, 0, n, true, out, lse);
                    else steps.attention(q, n, cacheK[l], cacheV[l], 0, 0, cachedRows, false, out, lse);
                });
                if (hosts > 1) mergeAcrossRanks(phase, l, n);
                timer.time(phase, l, Category.FFN, () -> steps.finishLayer(l, x, out, n));
                options.observer().afterLayer(phase, l, x, 0, n, position);
            }
            int next = -1;
            if (last) {
                int[] chosen = new int[1];
                timer.time(phase, -1, Category.OTHER, () -> {
                    steps.logits(x, n - 1, logits);
                    staging.toHost(logits, 0, hostLogits, 0, hostLogits.length);
                    chosen[0] = argmax(hostLogits);
                });
                next = chosen[0];
                appended += n;
            }
            if (hosts > 1) {
                int[] token = {next};
                timer.time(phase, -1, Category.COMMUNICATION, () -> comm.broadcast(token, 0, 1, hosts - 1));
                next = token[0];
            }
            return next;
        }

        /** out, lse <- exact merge of every rank's partial result, in rank order (identical on all ranks). */
        private void mergeAcrossRanks(Phase phase, int l, int n) {
            int outCount = n * qDim;
            int lseCount = n * nh;
            // out and lse are gathered separately: they are arrays of their own; n rows of each rank are contiguous
            Transfer o = collectives.allGather(out, 0, outCount, allOut, 0);
            await(phase, l, o);
            Transfer s = collectives.allGather(lse, 0, lseCount, allLse, 0);
            await(phase, l, s);
            for (int r = 0; r < hosts; r++) {
                F32Array dstOut = r == 0 ? out : partOut;
                F32Array dstLse = r == 0 ? lse : partLse;
                int from = r;
                timer.time(phase, l, Category.STAGING, () -> {
                    device.enqueueCopy(dstOut, 0, allOut, (long) from * outCount, outCount);
                    device.enqueueCopy(dstLse, 0, allLse, (long) from * lseCount, lseCount);
                });
                if (r > 0) timer.time(phase, l, Category.ATTENTION, () -> steps.mergeAttention(out, lse, partOut, partLse, n));
            }
        }
    }

    private boolean isEos(int token) {
        for (int e : cfg.eosTokenIds()) if (e == token) return true;
        return false;
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
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
                owned.forEach(DeviceArray::close);
                owned.clear();
                staging.close();
            }
        }
    }

    @Override
    public String toString() { return method().id() + " on " + comm + " (" + device.name() + ")"; }
}
