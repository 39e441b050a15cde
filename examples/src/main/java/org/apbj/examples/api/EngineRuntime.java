package org.apbj.examples.api;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apbj.parallel.comm.InProcessRanks;
import org.apbj.parallel.comm.RankFailedException;
import org.apbj.parallel.comm.RankFailure;
import org.apbj.parallel.rank.Fault;
import org.apbj.parallel.rank.Preflight;
import org.apbj.parallel.launch.MpjLauncher;
import org.apbj.parallel.rank.RankArgs;
import org.apbj.parallel.rank.RankJob;
import org.apbj.parallel.rank.RunReport;
import org.apbj.tokenizer.ApbPrompt;

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
        List<RankArgs> jobs = new ArrayList<>(requests.size());
        for (TokenRequest r : requests) jobs.add(rankArgs(engine, r));
        // every request is checked before the first one starts
        for (RankArgs a : jobs) Preflight.checkRequests(engine.config(), a, engine.options().ranks());
        List<Result> out = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            out.add(toResult(engine, requests.get(i).prompt(), runOne(engine, jobs.get(i)), decodeText));
        }
        return out;
    }

    /** One request as the ranks' arguments (token ids in the arguments; written to a file for mpjrun). */
    static RankArgs rankArgs(Apbj engine, TokenRequest req) {
        Options o = engine.options();
        ApbPrompt p = req.prompt();
        return new RankArgs(engine.modelDir().toAbsolutePath(), engine.heads() == null ? null : engine.heads().toAbsolutePath(),
                o.method(), List.of(new org.apbj.parallel.rank.TokenRequest(p.context(), p.query())), null, o.anchorLength(),
                o.passingLength(), p.qpos(), req.maxNewTokens(), o.device(), null, o.timeout(), null, false, o.allowLongContext());
    }

    static RunReport runOne(Apbj engine, RankArgs args) {
        Options o = engine.options();
        return switch (o.launch()) {
            // rank 0's report
            case IN_PROCESS -> InProcessRanks.run(o.ranks(), o.timeout(), comm -> RankJob.run(comm, args)).getFirst();
            case MPJRUN -> viaMpjrun(o, args);
        };
    }

    /**
     * One MPJ Express job in a temporary folder (deleted on every way out, see
     * {@link MpjLauncher.Job#temporary()}); a failure comes back as a {@link RankFailedException}
     * naming the rank, with the job's output for the log.
     */
    private static RunReport viaMpjrun(Options o, RankArgs args) {
        MpjLauncher launcher = new MpjLauncher();
        Path dir;
        try {
            dir = Files.createTempDirectory("apbj-job-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a folder for the MPJ job: " + e.getMessage(), e);
        }
        Path request = dir.resolve("request.json");
        Path report = dir.resolve("report.json");
        List<String> jvm = new ArrayList<>(List.of("-Xss8m"));
        String fault = System.getProperty(Fault.PROPERTY);
        if (fault != null) jvm.add("-D" + Fault.PROPERTY + "=" + fault);
        MpjLauncher.Job job;
        try {
            // Token ids go through a file: 128K ids do not fit on a command line.
            var r = args.requests().getFirst();
            JSON.writeValue(request.toFile(), Map.of("context", r.context(), "query", r.query()));
            RankArgs viaFile = new RankArgs(args.model(), args.heads(), args.method(), args.requests(), request, args.anchor(),
                    args.passing(), args.qpos(), args.maxTokens(), args.device(), args.gpuMap(), args.commTimeout(), report,
                    false, args.allowLongContext());
            job = new MpjLauncher.Job(o.ranks(), RANK_MAIN, List.of(viaFile.toArgs()), MpjLauncher.currentClasspath(), jvm, dir,
                    dir.resolve("output.txt")).temporary();
        } catch (IOException | RuntimeException e) {
            deleteQuietly(dir);
            throw e instanceof IOException io ? new UncheckedIOException("MPJ job files in " + dir + ": " + io.getMessage(), io)
                    : (RuntimeException) e;
        }
        try (MpjLauncher.RunningJob running = launcher.start(job)) {
            MpjLauncher.Result r = running.await(o.timeout().plusSeconds(60));
            var failure = MpjLauncher.failure(job, r);
            if (failure.isPresent() || !Files.isRegularFile(report)) {
                throw new RankFailedException(failure.orElse(new RankFailure(-1, RankFailure.Cause.ERROR,
                        "the MPJ Express job (" + o.describe() + ") ended without a report")), null, r.output());
            }
            return RunReport.read(report);
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

    private static final ObjectMapper JSON = new ObjectMapper();

    private static void deleteQuietly(Path dir) {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a temporary folder left behind is harmless
        }
    }
}
