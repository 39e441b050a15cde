package org.apbj.examples.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apbj.examples.api.Apbj;
import org.apbj.examples.api.Options;
import org.apbj.examples.api.Request;
import org.apbj.examples.api.Result;
import org.apbj.examples.report.Json;
import org.apbj.parallel.strategy.Method;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"One request end to end with a chosen method and rank count.",
                "The context comes from --prompt-file, the question from --query; the context is prefilled",
                "with --method over --ranks ranks (through mpjrun), then decoded greedily."})
public final class RunCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin ModelOptions model;

    @Mixin EngineOptions engine;

    @Option(names = "--method", defaultValue = "apb", converter = MethodConverter.class,
            description = "apb, star, ring or dense (default: ${DEFAULT-VALUE})")
    Method method;

    @Option(names = "--prompt-file", paramLabel = "FILE", required = true, description = "the context (the long document), UTF-8 text")
    Path promptFile;

    @Option(names = "--query", paramLabel = "TEXT", description = "the question asked after the context (default: none)")
    String query = "";

    @Option(names = "--answer-prefix", paramLabel = "TEXT", description = "text the assistant turn starts with (default: none)")
    String answerPrefix = "";

    @Option(names = "--raw", description = "no chat format: context and query are fed exactly as given")
    boolean raw;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "64", description = "tokens to generate (default: ${DEFAULT-VALUE})")
    int maxNewTokens;

    @Option(names = "--anchor-length", paramLabel = "N", description = "APB's anchor length l_a (default: B/4, B = context / ranks)")
    Integer anchorLength;

    @Option(names = "--passing-length", paramLabel = "N", description = "APB's passing length l_p (default: B/8)")
    Integer passingLength;

    @Option(names = "--out", paramLabel = "FILE", description = "also write the result as JSON")
    Path out;

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        Flags.atLeast(spec, "--max-new-tokens", maxNewTokens, 1);
        String context = TextFiles.readUtf8(promptFile, "--prompt-file");
        if (context.isBlank()) {
            throw new IllegalArgumentException("--prompt-file " + promptFile + " is empty: put the context (the long document) in it");
        }
        Options o = engine.options(method, model, spec.commandLine().getErr()).anchorLength(anchorLength)
                .passingLength(passingLength).chatFormat(raw ? "plain" : "auto");
        // an explicit --ranks is taken as given (dense refuses more than one); by default dense runs on one
        if (spec.commandLine().getParseResult().hasMatchedOption("--ranks")) o = o.ranks(engine.ranks);
        try (Apbj apbj = Apbj.open(model.model(), o)) {
            Result r = apbj.generate(new Request(context, query, answerPrefix, maxNewTokens));
            stdout.println(r.text());
            spec.commandLine().getErr().printf(Locale.ROOT, "%s on %s: %d context + %d query tokens; prefill %.1f ms (%.0f tokens/s), query %.1f ms,"
                            + " decode %.1f ms for %d tokens%n", o.describe(), r.device(), r.contextTokens(), r.queryTokens(),
                    r.timing().prefillMs(), r.timing().prefillTokensPerSecond(r.contextTokens()), r.timing().queryMs(),
                    r.timing().decodeMs(), r.tokens().length);
            if (out != null) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("method", o.method().id());
                j.put("ranks", o.ranks());
                j.put("device", r.device());
                j.put("text", r.text());
                j.put("tokens", r.tokens());
                j.put("context_tokens", r.contextTokens());
                j.put("query_tokens", r.queryTokens());
                j.put("timing", r.timing());
                Json.write(out, j);
            }
        }
        return 0;
    }
}
