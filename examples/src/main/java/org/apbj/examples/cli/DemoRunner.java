package org.apbj.examples.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apbj.examples.api.Apbj;
import org.apbj.parallel.strategy.Method;
import org.apbj.examples.api.Options;
import org.apbj.examples.api.Request;
import org.apbj.examples.api.Result;
import org.apbj.examples.eval.ChatPromptTokens;
import org.apbj.examples.eval.DepthPlan;
import org.apbj.examples.eval.Sample;
import org.apbj.examples.eval.SuiteGenerator;
import org.apbj.examples.eval.Task;
import org.apbj.examples.report.Json;
import org.apbj.tokenizer.ChatFormat;
import org.apbj.tokenizer.Tokenizer;

/**
 * Runs {@code demo}: one pass-key prompt (InfiniteBench's template in the tiny-niah format for
 * the embedded model), answered by APB over --ranks ranks and by dense attention on one rank.
 */
final class DemoRunner {
    private final DemoCommand cmd;

    DemoRunner(DemoCommand cmd) { this.cmd = cmd; }

    record MethodOutcome(String method, int ranks, String device, String prediction, boolean correct,
                         double prefillMs, double prefillTokensPerSecond, Map<String, Double> prefillBreakdownMs) {}

    record Report(String model, int contextTokens, int queryTokens, String groundTruth, int needleToken,
                  String needleStratum, List<MethodOutcome> methods) {}

    int run() throws Exception {
        PrintWriter out = cmd.spec.commandLine().getOut();
        Path model = cmd.model != null ? cmd.model : RepoRoot.tinyModel();
        ChatPromptTokens tokens = new ChatPromptTokens(ChatFormat.forTokenizer(Tokenizer.load(model)));
        DepthPlan plan = new DepthPlan(cmd.ranks);
        // The seed picks the pass key and which rank block (or boundary) holds it.
        int index = (int) Math.floorMod(cmd.seed, plan.strata().size());
        Sample s = new SuiteGenerator(tokens, tokens.style(), cmd.ranks).sample(Task.PASSKEY, cmd.length, cmd.seed, index);
        String truth = s.outputs().getFirst();

        out.printf(Locale.ROOT, "Model: %s%n", model);
        out.printf(Locale.ROOT, "Prompt: %d context + %d query tokens; the pass key sits at token %d (%s of %d ranks)%n",
                s.contextTokens(), s.queryTokens(), s.needleTokens().getFirst(), s.stratum(), cmd.ranks);
        out.println("Query: " + (s.question() + " " + s.answerPrefix()).strip().replace("\n", " "));
        out.println("Ground Truth: " + truth);
        out.flush();

        Options.Launch launch = LaunchChoice.resolve(cmd.inProcess, cmd.spec.commandLine().getErr());
        out.println("Ranks: " + (launch == Options.Launch.MPJRUN ? "processes started by mpjrun (MPJ Express multicore)"
                : "threads of this JVM"));
        List<MethodOutcome> outcomes = new ArrayList<>();
        for (Method m : List.of(Method.APB, Method.DENSE)) {
            Options o = Options.of(m).ranks(m == Method.DENSE ? 1 : cmd.ranks).device(cmd.device)
                    .launch(launch);
            if (m == Method.APB && cmd.heads != null) o = o.heads(cmd.heads);
            try (Apbj engine = Apbj.open(model, o)) {
                Result r = engine.generate(new Request(s.context(), s.question(), s.answerPrefix(), cmd.maxNewTokens));
                boolean correct = org.apbj.examples.eval.Scoring.score(s.metric(), r.text(), s.outputs()) == 1.0;
                out.printf(Locale.ROOT, "%n[%s, %d %s, %s]%n", m.id(), o.ranks(), o.ranks() == 1 ? "rank" : "ranks", r.device());
                out.println("Prediction: " + r.text().strip());
                out.printf(Locale.ROOT, "Prefill time: %.3f s (%.0f tokens/s)%s%n", r.timing().prefillMs() / 1000,
                        r.timing().prefillTokensPerSecond(r.contextTokens()), correct ? "" : "   [wrong]");
                out.flush();
                outcomes.add(new MethodOutcome(m.id(), o.ranks(), r.device(), r.text(), correct, r.timing().prefillMs(),
                        r.timing().prefillTokensPerSecond(r.contextTokens()), new LinkedHashMap<>(r.timing().prefillBreakdownMs())));
            }
        }
        if (cmd.out != null) {
            Json.write(cmd.out, new Report(model.toString(), s.contextTokens(), s.queryTokens(), truth,
                    s.needleTokens().getFirst(), s.stratum(), outcomes));
        }
        return 0;
    }
}
