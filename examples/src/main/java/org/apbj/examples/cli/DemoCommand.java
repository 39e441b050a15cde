package org.apbj.examples.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apbj.examples.api.Apbj;
import org.apbj.examples.api.Options;
import org.apbj.examples.api.Request;
import org.apbj.examples.api.Result;
import org.apbj.examples.eval.ChatPromptTokens;
import org.apbj.examples.eval.DepthPlan;
import org.apbj.examples.eval.Sample;
import org.apbj.examples.eval.Scoring;
import org.apbj.examples.eval.SuiteGenerator;
import org.apbj.examples.eval.Task;
import org.apbj.examples.report.Json;
import org.apbj.parallel.rank.Preflight;
import org.apbj.parallel.strategy.Method;
import org.apbj.tokenizer.ChatFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code demo}: one pass-key prompt (InfiniteBench's template in the tiny-niah format for the
 * embedded model), answered by APB over --ranks ranks and by dense attention on one rank.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Needle in a haystack: APB and dense attention side by side on one prompt.",
                "Default model: the embedded models/tiny-niah; prints Ground Truth, each method's",
                "Prediction and its prefill time."})
public final class DemoCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin ModelOptions model;

    @Mixin EngineOptions engine;

    @Option(names = "--length", paramLabel = "N", defaultValue = "4k", converter = LengthConverter.class,
            description = "prompt length in tokens, context + query (default: ${DEFAULT-VALUE})")
    int length;

    @Option(names = "--seed", defaultValue = "42", description = "seed of the pass key and its depth (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "16", description = "tokens to generate (default: ${DEFAULT-VALUE})")
    int maxNewTokens;

    @Option(names = "--out", paramLabel = "FILE", description = "also write the results as JSON")
    Path out;

    record MethodOutcome(String method, int ranks, String device, String prediction, boolean correct,
                         double prefillMs, double prefillTokensPerSecond, Map<String, Double> prefillBreakdownMs) {}

    record Report(String model, int contextTokens, int queryTokens, String groundTruth, int needleToken,
                  String needleStratum, List<MethodOutcome> methods) {}

    @Override
    public Integer call() throws Exception {
        Flags.atLeast(spec, "--max-new-tokens", maxNewTokens, 1);
        PrintWriter stdout = spec.commandLine().getOut();
        Path dir = model.model();
        // Both engines are opened (and so checked) before the prompt is built.
        List<Apbj> engines = new ArrayList<>();
        for (Method m : List.of(Method.APB, Method.DENSE)) engines.add(Apbj.open(dir, engine.options(m, model, spec.commandLine().getErr())));
        Apbj apb = engines.getFirst();
        Preflight.checkPositions(apb.config(), dir, length, maxNewTokens, engine.allowLongContext);
        ChatPromptTokens tokens = new ChatPromptTokens(ChatFormat.forTokenizer(apb.tokenizer()));
        DepthPlan plan = new DepthPlan(engine.ranks);
        // The seed picks the pass key and which rank block (or boundary) holds it.
        int index = (int) Math.floorMod(seed, plan.strata().size());
        Sample s = new SuiteGenerator(tokens, tokens.style(), engine.ranks).sample(Task.PASSKEY, length, seed, index);
        String truth = s.outputs().getFirst();

        stdout.printf(Locale.ROOT, "Model: %s%n", dir);
        stdout.printf(Locale.ROOT, "Prompt: %d context + %d query tokens; the pass key sits at token %d (%s of %d ranks)%n",
                s.contextTokens(), s.queryTokens(), s.needleTokens().getFirst(), s.stratum(), engine.ranks);
        stdout.println("Query: " + (s.question() + " " + s.answerPrefix()).strip().replace("\n", " "));
        stdout.println("Ground Truth: " + truth);
        stdout.println("Ranks: " + (apb.options().launch() == Options.Launch.MPJRUN
                ? "processes started by mpjrun (MPJ Express multicore)" : "threads of this JVM"));
        stdout.flush();

        List<MethodOutcome> outcomes = new ArrayList<>();
        for (Apbj e : engines) {
            try (e) {
                Options o = e.options();
                Result r = e.generate(new Request(s.context(), s.question(), s.answerPrefix(), maxNewTokens));
                boolean correct = Scoring.score(s.metric(), r.text(), s.outputs()) == 1.0;
                stdout.printf(Locale.ROOT, "%n[%s, %d %s, %s]%n", o.method().id(), o.ranks(), o.ranks() == 1 ? "rank" : "ranks", r.device());
                stdout.println("Prediction: " + r.text().strip());
                stdout.printf(Locale.ROOT, "Prefill time: %.3f s (%.0f tokens/s)%s%n", r.timing().prefillMs() / 1000,
                        r.timing().prefillTokensPerSecond(r.contextTokens()), correct ? "" : "   [wrong]");
                stdout.flush();
                outcomes.add(new MethodOutcome(o.method().id(), o.ranks(), r.device(), r.text(), correct, r.timing().prefillMs(),
                        r.timing().prefillTokensPerSecond(r.contextTokens()), new LinkedHashMap<>(r.timing().prefillBreakdownMs())));
            }
        }
        if (out != null) {
            Json.write(out, new Report(dir.toString(), s.contextTokens(), s.queryTokens(), truth,
                    s.needleTokens().getFirst(), s.stratum(), outcomes));
        }
        return 0;
    }
}
