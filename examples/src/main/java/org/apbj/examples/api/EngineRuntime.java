package org.apbj.examples.api;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
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
 * Runs requests through the parallel module: each request is one job of the parallel module's
 * {@link RankJob} (configuration check, device, model, strategy, report) on in-process ranks,
 * or one {@code RankMain} job started through mpjrun ({@link MpjLauncher}).
 */
final class EngineRuntime {
    static final String RANK_MAIN = "org.apbj.parallel.RankMain";

    private EngineRuntime() {}

    /** @param decodeText whether to decode the generated ids (token-level callers may not have a matching tokenizer) */
    static List<Result> run(Apbj engine, List<TokenRequest> requests, boolean decodeText) {
        List<Result> out = new ArrayList<>(requests.size());
        for (TokenRequest r : requests) out.add(toResult(engine, r.prompt(), runOne(engine, r), decodeText));
        return out;
    }

    static RunReport runOne(Apbj engine, TokenRequest req) {
        Options o = engine.options();
        ApbPrompt p = req.prompt();
        return switch (o.launch()) {
            case IN_PROCESS -> {
                var tokens = List.of(new org.apbj.parallel.rank.TokenRequest(p.context(), p.query()));
                RankArgs args = new RankArgs(engine.modelDir(), engine.heads(), o.method(), tokens, null,
                        o.anchorLength(), o.passingLength(), p.qpos(), req.maxNewTokens(), o.device(), null, o.timeout(), null, false);
                ProgressListener load = engine.loadProgress();
                // rank 0's report; rank 0 tells how its weights load
                yield InProcessRanks.run(o.ranks(), o.timeout(), comm -> RankJob.runAll(comm, args, UnaryOperator.identity(),
                        comm.rank() == 0 ? load : ProgressListener.NONE).getFirst()).getFirst();
            }
            case MPJRUN -> viaMpjrun(engine, req);
        };
    }

    private static RunReport viaMpjrun(Apbj engine, TokenRequest req) {
        Options o = engine.options();
        ApbPrompt p = req.prompt();
        Path dir;
        try {
            dir = Files.createTempDirectory("apbj-job-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a folder for the MPJ job: " + e.getMessage(), e);
        }
        try {
            Path request = dir.resolve("request.json");
            Path report = dir.resolve("report.json");
            // Token ids go through a file: 128K ids do not fit on a command line.
            Files.writeString(request, "{\"context\": " + Arrays.toString(p.context()) + ", \"query\": "
                    + Arrays.toString(p.query()) + "}");
            List<String> args = new ArrayList<>(List.of("--model=" + engine.modelDir().toAbsolutePath(),
                    "--method=" + o.method().id(), "--request=" + request, "--qpos=" + p.qpos(),
                    "--max-tokens=" + req.maxNewTokens(), "--device=" + o.device(),
                    "--comm-timeout=" + o.timeout().toSeconds(), "--output=" + report));
            if (engine.heads() != null) args.add("--heads=" + engine.heads().toAbsolutePath());
            if (o.anchorLength() != null) args.add("--anchor=" + o.anchorLength());
            if (o.passingLength() != null) args.add("--passing=" + o.passingLength());
            MpjLauncher launcher = new MpjLauncher();
            MpjLauncher.Job job = new MpjLauncher.Job(o.ranks(), RANK_MAIN, args, MpjLauncher.currentClasspath(),
                    List.of("-Xss8m"), dir, dir.resolve("output.txt"));
            MpjLauncher.Result r = launcher.run(job, o.timeout().plusSeconds(60));
            if (!r.succeeded() || !Files.isRegularFile(report)) {
                String tail = r.output().length() > 4000 ? r.output().substring(r.output().length() - 4000) : r.output();
                throw new IllegalStateException("the MPJ Express job (" + o.describe() + ") "
                        + (r.timedOut() ? "timed out" : "exited with status " + r.exitCode()) + "; its output ends:\n" + tail);
            }
            return RunReport.read(report);
        } catch (IOException e) {
            throw new UncheckedIOException("MPJ job files in " + dir + ": " + e.getMessage(), e);
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
                slowest.totalsMs().getOrDefault("prefill", Map.of()), perRank);
        return new Result(decodeText ? engine.decode(rep.generated()) : null, rep.generated(), timing, prompt.context().length,
                prompt.query().length, engine.options().method(), rep.ranks(), rep.perRank().getFirst().device());
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
