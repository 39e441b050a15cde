package org.apbj.parallel.rank;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.UnaryOperator;
import org.apbj.kernels.runtime.Device;
import org.apbj.model.DeviceModel;
import org.apbj.model.LayerSteps;
import org.apbj.model.MemoryPlan;
import org.apbj.parallel.comm.Communicator;
import org.apbj.parallel.plan.ApbLengths;
import org.apbj.parallel.plan.ContextSplit;
import org.apbj.parallel.strategy.Answer;
import org.apbj.parallel.strategy.LayerObserver;
import org.apbj.parallel.strategy.Method;
import org.apbj.parallel.strategy.RequestDemand;
import org.apbj.parallel.strategy.Strategies;
import org.apbj.parallel.strategy.Strategy;
import org.apbj.parallel.strategy.StrategyOptions;
import org.apbj.weights.ModelConfig;
import org.apbj.weights.ModelConfigs;
import org.apbj.weights.ModelWeights;
import org.apbj.weights.ProgressListener;
import org.apbj.weights.RetainingHeads;

/**
 * One rank's whole job, on any {@link Communicator}: configuration check, device, memory plan,
 * model (loaded once), then every request (prefill and answer on a fresh strategy), each with
 * its report (complete on rank 0). {@link RankMain} runs it under MPJ Express; tests and the
 * examples' in-process ranks run it on threads.
 *
 * <p>Before loading anything the job works out what its largest request needs (a dry run of the
 * strategy's allocations) on top of the model and refuses, with the numbers, a job that would not
 * fit. Prefill time is wall time from a common barrier to the end of the rank's device work; no
 * step in between waits for the device.
 */
public final class RankJob {
    private static final int DEVICE_NAME_BYTES = 160;

    private RankJob() {}

    /** Runs the one request of {@code args}; the report is complete on rank 0. */
    public static RunReport run(Communicator comm, RankArgs args) {
        if (args.requests().size() != 1) {
            throw new IllegalArgumentException(args.requests().size() + " requests given: use RankJob.runAll for several");
        }
        return runAll(comm, args, UnaryOperator.identity(), null, ProgressListener.NONE).getFirst();
    }

    /** Runs every request of {@code args} on one model load; one report per request (complete on rank 0). */
    public static List<RunReport> runAll(Communicator comm, RankArgs args) {
        return runAll(comm, args, UnaryOperator.identity(), null, ProgressListener.NONE);
    }

    /**
     * {@code decorate} wraps the model's layer steps (fault injection, tracing). The model is
     * loaded once; each request gets a fresh strategy (and its buffers).
     *
     * @param jvmStartSeconds seconds from the JVM's start to the rank program's entry, when the
     *                        JVM was started for this job (RankMain); null otherwise
     */
    public static List<RunReport> runAll(Communicator comm, RankArgs args, UnaryOperator<LayerSteps> decorate,
                                         Double jvmStartSeconds) {
        return runAll(comm, args, decorate, jvmStartSeconds, ProgressListener.NONE);
    }

    /** As {@link #runAll(Communicator, RankArgs, UnaryOperator, Double)}, for ranks not started for this job. */
    public static List<RunReport> runAll(Communicator comm, RankArgs args, UnaryOperator<LayerSteps> decorate) {
        return runAll(comm, args, decorate, null, ProgressListener.NONE);
    }

    /**
     * As {@link #runAll(Communicator, RankArgs, UnaryOperator)}; {@code loadProgress} sees this rank's
     * weights being copied to its device (bytes, and the part: "embeddings", "layer 3").
     */
    public static List<RunReport> runAll(Communicator comm, RankArgs args, UnaryOperator<LayerSteps> decorate,
                                         ProgressListener loadProgress) {
        return runAll(comm, args, decorate, null, loadProgress);
    }

    /**
     * The whole job: {@code decorate} and {@code jvmStartSeconds} as in
     * {@link #runAll(Communicator, RankArgs, UnaryOperator, Double)}, {@code loadProgress} as in
     * {@link #runAll(Communicator, RankArgs, UnaryOperator, ProgressListener)}.
     */
    public static List<RunReport> runAll(Communicator comm, RankArgs args, UnaryOperator<LayerSteps> decorate,
                                         Double jvmStartSeconds, ProgressListener loadProgress) {
        configuration(args).verify(comm);
        Preflight.checkRequests(ModelConfigs.load(args.model()), args, comm.size());
        List<RunReport> reports = new ArrayList<>();
        long open0 = System.nanoTime();
        try (Device device = DeviceChoice.open(args.device(), comm.rank(), args.gpuMap())) {
            double openSeconds = (System.nanoTime() - open0) / 1e9;
            long load0 = System.nanoTime();
            Loaded loaded = load(device, comm, args, loadProgress);
            device.synchronize();
            double loadSeconds = (System.nanoTime() - load0) / 1e9;
            try (DeviceModel model = loaded.model()) {
                LayerSteps steps = decorate.apply(SerializedLayerSteps.ifSharedCpu(model));
                Fault.at(comm.rank());
                RunReport.ColdStart cold = null;
                for (int i = 0; i < args.requests().size(); i++) {
                    TokenRequest request = args.requests().get(i);
                    int maxTokens = request.maxTokensOr(args.maxTokens());
                    long prep0 = device.preparationNanos();
                    try (Strategy strategy = Strategies.create(args.method(), steps, comm, options(args, request))) {
                        comm.barrier();
                        long t0 = System.nanoTime();
                        strategy.prefill(request.context(), request.query());
                        device.synchronize();   // the prefill is over when its device work is
                        long prefillNanos = System.nanoTime() - t0;
                        Answer answer = strategy.answer(maxTokens);
                        long prepNanos = device.preparationNanos() - prep0;
                        if (cold == null) {
                            cold = coldStart(comm, jvmStartSeconds, openSeconds, loadSeconds, prepNanos / 1e9, args.requests().size());
                        }
                        reports.add(report(comm, args, i, request, device, prefillNanos, prepNanos, answer, strategy,
                                model.config(), loaded.planBytes(), cold));
                    }
                }
            }
        }
        return reports;
    }

    /** A request's strategy options: the job's lengths, the request's qpos and budget. */
    static StrategyOptions options(RankArgs args, TokenRequest request) {
        return new StrategyOptions(args.anchor(), args.passing(), request.qposOr(args.qpos()), request.maxTokensOr(args.maxTokens()),
                LayerObserver.NONE, args.commPath(), args.overlap());
    }

    /** The fields every rank must agree on. */
    static ConfigCheck configuration(RankArgs a) {
        ConfigCheck c = new ConfigCheck()
                .add("model", a.model().toAbsolutePath().normalize().toString())
                .add("model config.json", readOrEmpty(a.model().resolve("config.json")))
                .add("retaining heads", a.heads() == null ? "none" : a.heads().toAbsolutePath().normalize() + " " + size(a.heads()))
                .add("method", a.method().id())
                .add("anchor length", String.valueOf(a.anchor()))
                .add("passing length", String.valueOf(a.passing()))
                .add("qpos", String.valueOf(a.qpos()))
                .add("max tokens", String.valueOf(a.maxTokens()))
                .add("allow long context", String.valueOf(a.allowLongContext()))
                .add("communication path", a.commPath().id())
                .add("overlap", String.valueOf(a.overlap()))
                .add("requests", String.valueOf(a.requests().size()));
        for (int i = 0; i < a.requests().size(); i++) {
            String which = a.requests().size() == 1 ? "" : " of request " + i;
            TokenRequest r = a.requests().get(i);
            c.add("context token ids" + which, r.context());
            c.add("query token ids" + which, r.query());
            if (r.qpos() != null || r.maxTokens() != null) {
                c.add("qpos and max tokens" + which, r.qposOr(a.qpos()) + " " + r.maxTokensOr(a.maxTokens()));
            }
        }
        return c;
    }

    /** The model and the bytes of the job's memory plan. */
    private record Loaded(DeviceModel model, long planBytes) {}

    /**
     * Plans the job item by item (weights, layer and split-attention scratch for the largest rows
     * and keys of its requests, then per item the largest of its requests' buffers: the rank's KV
     * cache, the layer K/V of [anchor ; block], passing blocks or ring double buffers, workspace,
     * phase 2; the host path's pinned staging beside them), refuses it with the numbers and the
     * fix if it does not fit, then loads the model.
     */
    private static Loaded load(Device device, Communicator comm, RankArgs args, ProgressListener progress) {
        try (ModelWeights w = ModelWeights.open(args.model());
             RetainingHeads heads = args.heads() == null ? null : RetainingHeads.load(args.heads(), w.config())) {
            if (args.method() == Method.APB && heads == null) {
                throw new IllegalArgumentException("apb needs retaining heads: pass --heads FILE (there is no "
                        + args.model().resolve("retaining_heads.safetensors") + ")");
            }
            ModelConfig cfg = w.config();
            int retaining = heads == null ? 0 : heads.hiddenSize();
            JobPlan job = plan(cfg, retaining, device, comm, args);
            MemoryPlan plan = job.plan();
            // ranks differ (the last holds the query and generated tokens, APB's later ranks more passing
            // rows): the advice is the largest context that fits on every rank, agreed by all of them
            TokenRequest big = args.requests().get(job.largest());
            int mine = plan.fits() ? Integer.MAX_VALUE : largestContextThatFits(cfg, retaining, device, comm, args, big, plan.freeBytes());
            int[] all = new int[comm.size()];
            comm.allGather(new int[] {mine}, all);
            int fits = Integer.MAX_VALUE, firstRefused = -1;
            for (int r = 0; r < all.length; r++) {
                if (all[r] != Integer.MAX_VALUE && firstRefused < 0) firstRefused = r;
                fits = Math.min(fits, all[r]);
            }
            if (!plan.fits()) {
                plan.requireFits(device.name(), (fits > 0 ? "with " + comm.size() + (comm.size() == 1 ? " rank" : " ranks")
                        + " the largest context that fits (on every rank) is " + fits + " tokens"
                        : "not even a short context fits beside the model")
                        + "; use more ranks (each holds a block of context/ranks tokens), a shorter context, or a device with more memory");
            }
            if (firstRefused >= 0) {
                comm.barrier();   // the rank that does not fit refuses the job: this rank hears it here, before loading
                throw new IllegalStateException("rank " + firstRefused + "'s memory plan does not fit, yet it passed the barrier");
            }
            return new Loaded(DeviceModel.load(device, w, heads, job.demand().rows(), job.demand().keys(), progress), plan.totalBytes());
        }
    }

    /** A job's plan on one rank, the demand it was made from, and the index of its largest request. */
    record JobPlan(MemoryPlan plan, RequestDemand demand, int largest) {}

    /** The job's memory plan on this rank against the device's free memory now; nothing is allocated or communicated. */
    static JobPlan plan(ModelConfig cfg, int retaining, Device device, Communicator comm, RankArgs args) {
        RequestDemand job = null;
        int largest = 0;
        for (int i = 0; i < args.requests().size(); i++) {
            TokenRequest r = args.requests().get(i);
            RequestDemand d = Strategies.demand(args.method(), cfg, device, comm, options(args, r), r.context().length, r.query().length);
            if (job == null || d.bufferBytes() > job.bufferBytes()) largest = i;
            job = job == null ? d : job.max(d);
        }
        long free = device.memory().freeBytes();
        return new JobPlan(plan(cfg, retaining, job, args.requests().get(largest), args, comm, free), job, largest);
    }

    private static MemoryPlan plan(ModelConfig cfg, int retaining, RequestDemand job, TokenRequest largest, RankArgs args,
                                   Communicator comm, long free) {
        return DeviceModel.plan(cfg, retaining, job.rows(), job.keys(), free).plus(
                args.method().id() + " job of " + args.requests().size() + (args.requests().size() == 1 ? " request" : " requests")
                        + " (the largest: " + largest.context().length + " context + " + largest.query().length
                        + " query tokens) on rank " + comm.rank() + " of " + comm.size(),
                job.items());
    }

    /** The longest context (below the request's) that fits beside the model with the job's ranks, 0 if none. */
    private static int largestContextThatFits(ModelConfig cfg, int retaining, Device device, Communicator comm, RankArgs args,
                                              TokenRequest request, long free) {
        int lo = 0, hi = request.context().length - 1;
        while (lo < hi) {
            int mid = lo + (hi - lo + 1) / 2;
            boolean fits;
            try {
                RequestDemand d = Strategies.demand(args.method(), cfg, device, comm, options(args, request), mid, request.query().length);
                fits = plan(cfg, retaining, d, request, args, comm, free).fits();
            } catch (IllegalArgumentException e) {
                fits = false;   // a length the split refuses
            }
            if (fits) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    /** The job's cold start, slowest rank (every rank calls this at the same point). */
    private static RunReport.ColdStart coldStart(Communicator comm, Double jvmStartSeconds, double openSeconds, double loadSeconds,
                                                 double firstCompileSeconds, int requests) {
        float[] mine = {jvmStartSeconds == null ? -1f : jvmStartSeconds.floatValue(), (float) openSeconds, (float) loadSeconds,
                (float) firstCompileSeconds};
        float[] all = new float[mine.length * comm.size()];
        comm.allGather(mine, all);
        float[] max = new float[mine.length];
        java.util.Arrays.fill(max, -1f);
        for (int r = 0; r < comm.size(); r++) for (int k = 0; k < mine.length; k++) max[k] = Math.max(max[k], all[r * mine.length + k]);
        return new RunReport.ColdStart(max[0] < 0 ? null : (double) max[0], max[1], max[2], max[3], requests);
    }

    private static RunReport report(Communicator comm, RankArgs args, int index, TokenRequest request, Device device,
                                    long prefillNanos, long preparationNanos, Answer answer, Strategy strategy, ModelConfig cfg,
                                    long planBytes, RunReport.ColdStart cold) {
        int vocab = cfg.vocabSize(), numLayers = cfg.numLayers();
        int hosts = comm.size();
        float[] logits = answer.firstLogits() != null ? answer.firstLogits() : new float[vocab];
        if (hosts > 1) comm.broadcast(logits, 0, vocab, hosts - 1);
        float[] mine = strategy.timer().toMillis();
        float[] allTimes = new float[mine.length * hosts];
        comm.allGather(mine, allTimes);
        float[] walls = new float[2 * hosts];
        comm.allGather(new float[] {prefillNanos / 1e9f, preparationNanos / 1e9f}, 0, 2, walls, 0);
        long peak = device.memory().peakBytes();
        int[] memory = new int[4 * hosts];
        comm.allGather(new int[] {(int) (planBytes >>> 32), (int) planBytes, (int) (peak >>> 32), (int) peak}, 0, 4, memory, 0);
        byte[] name = new byte[DEVICE_NAME_BYTES];
        byte[] raw = device.name().getBytes(StandardCharsets.UTF_8);
        System.arraycopy(raw, 0, name, 0, Math.min(raw.length, DEVICE_NAME_BYTES));
        byte[] names = new byte[DEVICE_NAME_BYTES * hosts];
        comm.allGather(name, names);

        List<RunReport.RankTiming> ranks = new ArrayList<>();
        double slowest = 0, preparation = 0;
        for (int r = 0; r < hosts; r++) {
            String dn = new String(names, r * DEVICE_NAME_BYTES, DEVICE_NAME_BYTES, StandardCharsets.UTF_8).replace("\0", "");
            ranks.add(RunReport.rankTiming(r, dn, walls[2 * r], allTimes, r * mine.length, numLayers,
                    joinLong(memory[4 * r], memory[4 * r + 1]), joinLong(memory[4 * r + 2], memory[4 * r + 3])));
            slowest = Math.max(slowest, walls[2 * r]);
            preparation = Math.max(preparation, walls[2 * r + 1]);
        }
        int n = request.context().length;
        ContextSplit split = ContextSplit.of(n, hosts);
        Integer la = null, lp = null;
        int qpos = request.qposOr(args.qpos());
        if (args.method() == Method.APB) {
            ApbLengths l = ApbLengths.resolve(args.anchor(), args.passing(), split.blockSize(), qpos, request.query().length, n);
            la = l.anchor();
            lp = l.passing();
        } else if (args.method() == Method.STAR) {
            la = split.blockSize();
            lp = 0;
        }
        return new RunReport(args.method().id(), hosts, n, request.query().length, split.blockSize(), la, lp, answer.tokens(),
                sha256(logits), args.dumpLogits() ? logits : null, slowest, slowest > 0 ? n / slowest : 0, index, preparation,
                cold, ranks, strategy.commPath());
    }

    private static long joinLong(int hi, int lo) { return ((long) hi << 32) | (lo & 0xffffffffL); }

    static String sha256(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4);
        for (float f : v) b.putInt(Float.floatToRawIntBits(f));
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.array()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] readOrEmpty(Path p) {
        try {
            return Files.isRegularFile(p) ? Files.readAllBytes(p) : new byte[0];
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p + ": " + e.getMessage(), e);
        }
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p + ": " + e.getMessage(), e);
        }
    }
}
