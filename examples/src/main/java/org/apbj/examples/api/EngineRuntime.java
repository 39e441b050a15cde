package org.apbj.examples.api;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apbj.parallel.comm.InProcessRanks;
import org.apbj.parallel.comm.RankFailedException;
import org.apbj.parallel.comm.RankFailure;
import org.apbj.parallel.rank.Fault;
import org.apbj.parallel.rank.Preflight;
import org.apbj.parallel.launch.MpjDaemon;
import org.apbj.parallel.launch.MpjLauncher;
import org.apbj.parallel.transfer.CommPath;
import org.apbj.parallel.rank.RankArgs;
import org.apbj.parallel.rank.RankJob;
import org.apbj.parallel.rank.RunReport;
import org.apbj.parallel.strategy.Category;
import org.apbj.tokenizer.ApbPrompt;
import org.apbj.weights.ProgressListener;

/**
 * Runs requests through the parallel module: all requests of one call are one job of the
 * parallel module's {@link RankJob} (configuration check, device, memory plan, model loaded
 * once, then a fresh strategy per request, one report each) on in-process ranks, or one
 * {@code RankMain} job started through mpjrun ({@link MpjLauncher}) with the requests in a file.
 */
final class EngineRuntime {
    static final String RANK_MAIN = "org.apbj.parallel.RankMain";

    private EngineRuntime() {}

    /** @param decodeText whether to decode the generated ids (token-level callers may not have a matching tokenizer) */
    static List<Result> run(Apbj engine, List<TokenRequest> requests, boolean decodeText) {
        List<RunReport> reports = runJob(engine, requests);
        if (reports.size() != requests.size()) {
            throw new IllegalStateException("the job ran " + reports.size() + " of " + requests.size() + " requests");
        }
        List<Result> out = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) out.add(toResult(engine, requests.get(i).prompt(), reports.get(i), decodeText));
        return out;
    }

    /**
     * One job for all {@code requests}: rank 0's reports, in request order. Every request is
     * checked (the parallel module's {@link Preflight}) before any rank starts.
     */
    static List<RunReport> runJob(Apbj engine, List<TokenRequest> requests) {
        Options o = engine.options();
        RankArgs args = jobArgs(engine, requests);
        Preflight.checkRequests(engine.config(), args, o.ranks());
        Duration jobTimeout = o.timeout().multipliedBy(requests.size());
        return switch (o.launch()) {
            case IN_PROCESS -> {
                ProgressListener load = engine.loadProgress();
                // rank 0's reports; rank 0 tells how its weights load
                yield InProcessRanks.run(o.ranks(), o.timeout(), jobTimeout.plusSeconds(5),
                        comm -> RankJob.runAll(comm, args, UnaryOperator.identity(),
                                comm.rank() == 0 ? load : ProgressListener.NONE)).getFirst();
            }
            case MPJRUN -> viaMpjrun(o, args, jobTimeout);
        };
    }

    /**
     * The ranks' arguments for one job of {@code requests}, each with its own qpos and token
     * budget (the job's defaults, 0 and 1, are never used).
     */
    static RankArgs jobArgs(Apbj engine, List<TokenRequest> requests) {
        Options o = engine.options();
        List<org.apbj.parallel.rank.TokenRequest> tokens = new ArrayList<>(requests.size());
        for (TokenRequest r : requests) {
            ApbPrompt p = r.prompt();
            tokens.add(new org.apbj.parallel.rank.TokenRequest(p.context(), p.query(), p.qpos(), r.maxNewTokens()));
        }
        return new RankArgs(engine.modelDir().toAbsolutePath(), engine.heads() == null ? null : engine.heads().toAbsolutePath(),
                o.method(), tokens, null, o.anchorLength(), o.passingLength(), 0, 1, o.device(), null, o.timeout(), null, false,
                o.allowLongContext(), o.commPath(), o.overlap());
    }

    /**
     * One MPJ Express job in a temporary folder (deleted on every way out, see
     * {@link MpjLauncher.Job#temporary()}); the requests go through a file (128K ids do not fit
     * on a command line). The ranks are threads of one JVM (multicore), or, for the IPC path,
     * one process each (niodev, with a daemon for the job). A failure comes back as a
     * {@link RankFailedException} naming the rank, with the job's output for the log.
     */
    private static List<RunReport> viaMpjrun(Options o, RankArgs args, Duration jobTimeout) {
        MpjLauncher launcher = new MpjLauncher();
        Path dir;
        try {
            dir = Files.createTempDirectory("apbj-job-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a folder for the MPJ job: " + e.getMessage(), e);
        }
        Path request = dir.resolve("requests.json");
        Path report = dir.resolve("report.json");
        boolean processes = o.commPath() == CommPath.IPC;   // CUDA IPC opens another process's memory
        List<String> jvm = new ArrayList<>(List.of("-Xss8m", "--enable-native-access=ALL-UNNAMED"));
        String fault = System.getProperty(Fault.PROPERTY);
        if (fault != null) jvm.add("-D" + Fault.PROPERTY + "=" + fault);
        MpjLauncher.Job job;
        try {
            RankArgs.writeRequests(request, args.requests());
            RankArgs viaFile = new RankArgs(args.model(), args.heads(), args.method(), args.requests(), request, args.anchor(),
                    args.passing(), args.qpos(), args.maxTokens(), args.device(), args.gpuMap(), args.commTimeout(), report,
                    false, args.allowLongContext(), args.commPath(), args.overlap());
            job = new MpjLauncher.Job(o.ranks(), RANK_MAIN, List.of(viaFile.toArgs()), MpjLauncher.currentClasspath(), jvm, dir,
                    dir.resolve("output.txt")).withTransport(processes ? MpjLauncher.Transport.NIODEV : MpjLauncher.Transport.MULTICORE)
                    .temporary();
        } catch (RuntimeException e) {
            deleteQuietly(dir);
            throw e;
        }
        try (MpjDaemon daemon = processes ? MpjDaemon.start(launcher.home(), dir.resolve("daemon.log"), Duration.ofSeconds(30)) : null;
             MpjLauncher.RunningJob running = launcher.start(job)) {
            MpjLauncher.Result r = running.await(jobTimeout.plusSeconds(60));
            var failure = MpjLauncher.failure(job, r);
            if (failure.isPresent() || !Files.isRegularFile(report)) {
                int n = args.requests().size();
                throw new RankFailedException(failure.orElse(new RankFailure(-1, RankFailure.Cause.ERROR,
                        "the MPJ Express job (" + o.describe() + ", " + n + (n == 1 ? " request" : " requests")
                                + ") ended without a report")), null, r.output());
            }
            return RunReport.readAll(report);
        }
    }

    static Result toResult(Apbj engine, ApbPrompt prompt, RunReport rep, boolean decodeText) {
        double[] perRank = new double[rep.perRank().size()];
        double[] exposedPerRank = new double[perRank.length];
        RunReport.RankTiming slowest = rep.perRank().getFirst();
        double queryMs = 0, decodeMs = 0;
        for (int i = 0; i < perRank.length; i++) {
            RunReport.RankTiming t = rep.perRank().get(i);
            perRank[i] = t.prefillSeconds() * 1000;
            exposedPerRank[i] = t.totalsMs().getOrDefault("prefill", Map.of()).getOrDefault(RunReport.category(Category.EXPOSED_COMMUNICATION), 0.0);
            if (t.prefillSeconds() > slowest.prefillSeconds()) slowest = t;
            queryMs = Math.max(queryMs, sum(t.totalsMs().get("query")));
            decodeMs = Math.max(decodeMs, sum(t.totalsMs().get("decode")));
        }
        Timing timing = new Timing(rep.prefillSeconds() * 1000, queryMs, decodeMs,
                slowest.totalsMs().getOrDefault("prefill", Map.of()), perRank, rep.kernelPreparationSeconds() * 1000,
                rep.retainingShare(), exposedPerRank);
        return new Result(decodeText ? engine.decode(rep.generated()) : null, rep.generated(), timing, prompt.context().length,
                prompt.query().length, engine.options().method(), rep.ranks(), rep.perRank().getFirst().device(),
                rep.requestIndex(), ColdStart.of(rep.coldStart()), rep.commPath());
    }

    private static double sum(Map<String, Double> m) {
        double s = 0;
        if (m != null) for (double v : m.values()) s += v;
        return s;
    }

    private static void deleteQuietly(Path dir) {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a temporary folder left behind is harmless
        }
    }
}
