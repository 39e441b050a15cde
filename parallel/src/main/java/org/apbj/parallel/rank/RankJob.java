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
import org.apbj.model.LayerSteps;
import org.apbj.model.Transformer;
import org.apbj.parallel.comm.Communicator;
import org.apbj.parallel.plan.ApbLengths;
import org.apbj.parallel.plan.ContextSplit;
import org.apbj.parallel.strategy.Answer;
import org.apbj.parallel.strategy.LayerObserver;
import org.apbj.parallel.strategy.Method;
import org.apbj.parallel.strategy.Strategies;
import org.apbj.parallel.strategy.Strategy;
import org.apbj.parallel.strategy.StrategyOptions;
import org.apbj.weights.ModelConfigs;
import org.apbj.weights.ModelWeights;
import org.apbj.weights.RetainingHeads;

/**
 * One rank's whole job, on any {@link Communicator}: configuration check, device and model,
 * prefill and answer, then the report (complete on rank 0). {@link RankMain} runs it under MPJ
 * Express; tests run it on in-process ranks.
 */
public final class RankJob {
    private static final int DEVICE_NAME_BYTES = 160;

    private RankJob() {}

    /** Runs the one request of {@code args}; the report is complete on rank 0. */
    public static RunReport run(Communicator comm, RankArgs args) {
        if (args.requests().size() != 1) {
            throw new IllegalArgumentException(args.requests().size() + " requests given: use RankJob.runAll for several");
        }
        return runAll(comm, args, UnaryOperator.identity()).getFirst();
    }

    /** Runs every request of {@code args}; one report per request (complete on rank 0). */
    public static List<RunReport> runAll(Communicator comm, RankArgs args) {
        return runAll(comm, args, UnaryOperator.identity());
    }

    /**
     * {@code decorate} wraps the model's layer steps (fault injection, tracing). The model is
     * loaded once; each request gets a fresh strategy (and its buffers).
     */
    public static List<RunReport> runAll(Communicator comm, RankArgs args, UnaryOperator<LayerSteps> decorate) {
        configuration(args).verify(comm);
        Preflight.checkRequests(ModelConfigs.load(args.model()), args, comm.size());
        List<RunReport> reports = new ArrayList<>();
        try (Device device = DeviceChoice.open(args.device(), comm.rank(), args.gpuMap());
             Transformer model = load(device, args)) {
            LayerSteps steps = decorate.apply(SerializedLayerSteps.ifSharedCpu(model));
            StrategyOptions options = new StrategyOptions(args.anchor(), args.passing(), args.qpos(), args.maxTokens(), LayerObserver.NONE);
            Fault.at(comm.rank());
            for (TokenRequest request : args.requests()) {
                try (Strategy strategy = Strategies.create(args.method(), steps, comm, options)) {
                    comm.barrier();
                    long t0 = System.nanoTime();
                    strategy.prefill(request.context(), request.query());
                    long prefillNanos = System.nanoTime() - t0;
                    Answer answer = strategy.answer(args.maxTokens());
                    reports.add(report(comm, args, request, device.name(), prefillNanos, answer, strategy,
                            model.config().vocabSize(), model.config().numLayers()));
                }
            }
        }
        return reports;
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
                .add("requests", String.valueOf(a.requests().size()));
        for (int i = 0; i < a.requests().size(); i++) {
            String which = a.requests().size() == 1 ? "" : " of request " + i;
            c.add("context token ids" + which, a.requests().get(i).context());
            c.add("query token ids" + which, a.requests().get(i).query());
        }
        return c;
    }

    private static Transformer load(Device device, RankArgs args) {
        try (ModelWeights w = ModelWeights.open(args.model());
             RetainingHeads heads = args.heads() == null ? null : RetainingHeads.load(args.heads(), w.config())) {
            if (args.method() == Method.APB && heads == null) {
                throw new IllegalArgumentException("apb needs retaining heads: pass --heads FILE (there is no "
                        + args.model().resolve("retaining_heads.safetensors") + ")");
            }
            // the strategies keep their own KV; the Transformer's own cache is not used
            return Transformer.load(device, w, heads, Transformer.Options.context(16).withPrefillChunk(256));
        }
    }

    private static RunReport report(Communicator comm, RankArgs args, TokenRequest request, String deviceName, long prefillNanos,
                                    Answer answer, Strategy strategy, int vocab, int numLayers) {
        int hosts = comm.size();
        float[] logits = answer.firstLogits() != null ? answer.firstLogits() : new float[vocab];
        if (hosts > 1) comm.broadcast(logits, 0, vocab, hosts - 1);
        float[] mine = strategy.timer().toMillis();
        float[] allTimes = new float[mine.length * hosts];
        comm.allGather(mine, allTimes);
        float[] walls = new float[hosts];
        comm.allGather(new float[] {prefillNanos / 1e9f}, 0, 1, walls, 0);
        byte[] name = new byte[DEVICE_NAME_BYTES];
        byte[] raw = deviceName.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(raw, 0, name, 0, Math.min(raw.length, DEVICE_NAME_BYTES));
        byte[] names = new byte[DEVICE_NAME_BYTES * hosts];
        comm.allGather(name, names);

        List<RunReport.RankTiming> ranks = new ArrayList<>();
        double slowest = 0;
        for (int r = 0; r < hosts; r++) {
            String dn = new String(names, r * DEVICE_NAME_BYTES, DEVICE_NAME_BYTES, StandardCharsets.UTF_8).replace("\0", "");
            ranks.add(RunReport.rankTiming(r, dn, walls[r], allTimes, r * mine.length, numLayers));
            slowest = Math.max(slowest, walls[r]);
        }
        int n = request.context().length;
        ContextSplit split = ContextSplit.of(n, hosts);
        Integer la = null, lp = null;
        if (args.method() == Method.APB) {
            ApbLengths l = ApbLengths.resolve(args.anchor(), args.passing(), split.blockSize(), args.qpos(), request.query().length, n);
            la = l.anchor();
            lp = l.passing();
        } else if (args.method() == Method.STAR) {
            la = split.blockSize();
            lp = 0;
        }
        return new RunReport(args.method().id(), hosts, n, request.query().length, split.blockSize(), la, lp, answer.tokens(),
                sha256(logits), args.dumpLogits() ? logits : null, slowest, slowest > 0 ? n / slowest : 0, ranks);
    }

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
