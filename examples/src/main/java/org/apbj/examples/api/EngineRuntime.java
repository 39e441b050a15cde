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
import org.apbj.parallel.launch.MpjLauncher;
import org.apbj.parallel.rank.RankArgs;
import org.apbj.parallel.rank.RankJob;
import org.apbj.parallel.rank.RunReport;
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

    /** One job for all {@code requests}: rank 0's reports, in request order. */
    static List<RunReport> runJob(Apbj engine, List<TokenRequest> requests) {
        Options o = engine.options();
        List<org.apbj.parallel.rank.TokenRequest> tokens = new ArrayList<>(requests.size());
        for (TokenRequest r : requests) {
            ApbPrompt p = r.prompt();
            tokens.add(new org.apbj.parallel.rank.TokenRequest(p.context(), p.query(), p.qpos(), r.maxNewTokens()));
        }
        Duration jobTimeout = o.timeout().multipliedBy(requests.size());
        return switch (o.launch()) {
            case IN_PROCESS -> {
                RankArgs args = new RankArgs(engine.modelDir(), engine.heads(), o.method(), tokens, null,
                        o.anchorLength(), o.passingLength(), 0, 1, o.device(), null, o.timeout(), null, false);
                ProgressListener load = engine.loadProgress();
                // rank 0's reports; rank 0 tells how its weights load
                yield InProcessRanks.run(o.ranks(), o.timeout(), jobTimeout.plusSeconds(5),
                        comm -> RankJob.runAll(comm, args, UnaryOperator.identity(),
                                comm.rank() == 0 ? load : ProgressListener.NONE)).getFirst();
            }
            case MPJRUN -> viaMpjrun(engine, tokens, jobTimeout);
        };
    }

    private static List<RunReport> viaMpjrun(Apbj engine, List<org.apbj.parallel.rank.TokenRequest> tokens, Duration jobTimeout) {
        Options o = engine.options();
        Path dir;
        try {
            dir = Files.createTempDirectory("apbj-job-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a folder for the MPJ job: " + e.getMessage(), e);
        }
        try {
            Path request = dir.resolve("requests.json");
            Path report = dir.resolve("report.json");
            RankArgs.writeRequests(request, tokens);
            List<String> args = new ArrayList<>(List.of("--model=" + engine.modelDir().toAbsolutePath(),
                    "--method=" + o.method().id(), "--request=" + request, "--device=" + o.device(),
                    "--comm-timeout=" + o.timeout().toSeconds(), "--output=" + report));
            if (engine.heads() != null) args.add("--heads=" + engine.heads().toAbsolutePath());
            if (o.anchorLength() != null) args.add("--anchor=" + o.anchorLength());
            if (o.passingLength() != null) args.add("--passing=" + o.passingLength());
            MpjLauncher launcher = new MpjLauncher();
            MpjLauncher.Job job = new MpjLauncher.Job(o.ranks(), RANK_MAIN, args, MpjLauncher.currentClasspath(),
                    List.of("-Xss8m"), dir, dir.resolve("output.txt"));
            MpjLauncher.Result r = launcher.run(job, jobTimeout.plusSeconds(60));
            if (!r.succeeded() || !Files.isRegularFile(report)) {
                String tail = r.output().length() > 4000 ? r.output().substring(r.output().length() - 4000) : r.output();
                throw new IllegalStateException("the MPJ Express job (" + o.describe() + ", " + tokens.size()
                        + (tokens.size() == 1 ? " request" : " requests") + ") "
                        + (r.timedOut() ? "timed out" : "exited with status " + r.exitCode()) + "; its output ends:\n" + tail);
            }
            return RunReport.readAll(report);
        } finally {
            deleteQuietly(dir);
        }
    }

    static Result toResult(Apbj engine, ApbPrompt prompt, RunReport rep, boolean decodeText) {
        double[] perRank = new double[rep.perRank().size()];
        RunReport.RankTiming slowest = rep.perRank().getFirst();
        double queryMs = 0, decodeMs = 0;
        for (int i = 0; i < perRank.length; i++) {
            RunReport.RankTiming t = rep.perRank().get(i);
            perRank[i] = t.prefillSeconds() * 1000;
            if (t.prefillSeconds() > slowest.prefillSeconds()) slowest = t;
            queryMs = Math.max(queryMs, sum(t.totalsMs().get("query")));
            decodeMs = Math.max(decodeMs, sum(t.totalsMs().get("decode")));
        }
        Timing timing = new Timing(rep.prefillSeconds() * 1000, queryMs, decodeMs,
                slowest.totalsMs().getOrDefault("prefill", Map.of()), perRank, rep.kernelPreparationSeconds() * 1000);
        return new Result(decodeText ? engine.decode(rep.generated()) : null, rep.generated(), timing, prompt.context().length,
                prompt.query().length, engine.options().method(), rep.ranks(), rep.perRank().getFirst().device(),
                rep.requestIndex(), ColdStart.of(rep.coldStart()));
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
