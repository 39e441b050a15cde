package org.apbj.examples.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apbj.examples.api.Apbj;
import org.apbj.examples.api.Options;
import org.apbj.examples.api.Request;
import org.apbj.examples.api.Result;
import org.apbj.examples.report.Json;

/** Runs {@code run}: one request end to end. */
final class RunRunner {
    private final RunCommand cmd;

    RunRunner(RunCommand cmd) { this.cmd = cmd; }

    int run() throws Exception {
        PrintWriter out = cmd.spec.commandLine().getOut();
        if (!Files.isRegularFile(cmd.promptFile)) {
            throw new IllegalArgumentException("--prompt-file " + cmd.promptFile + " is not a readable file");
        }
        String context = Files.readString(cmd.promptFile, StandardCharsets.UTF_8);
        Options o = Options.of(cmd.method).ranks(cmd.ranks).device(cmd.device).anchorLength(cmd.anchorLength)
                .passingLength(cmd.passingLength).chatFormat(cmd.raw ? "plain" : "auto")
                .launch(LaunchChoice.resolve(cmd.inProcess, cmd.spec.commandLine().getErr()));
        if (cmd.heads != null) o = o.heads(cmd.heads);
        try (Apbj engine = Apbj.open(cmd.model, o)) {
            Result r = engine.generate(new Request(context, cmd.query, cmd.answerPrefix, cmd.maxNewTokens));
            out.println(r.text());
            cmd.spec.commandLine().getErr().printf(Locale.ROOT, "%s on %s: %d context + %d query tokens; prefill %.1f ms (%.0f tokens/s), query %.1f ms,"
                            + " decode %.1f ms for %d tokens%n", o.describe(), r.device(), r.contextTokens(), r.queryTokens(),
                    r.timing().prefillMs(), r.timing().prefillTokensPerSecond(r.contextTokens()), r.timing().queryMs(),
                    r.timing().decodeMs(), r.tokens().length);
            if (cmd.out != null) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("method", o.method().id());
                j.put("ranks", o.ranks());
                j.put("device", r.device());
                j.put("text", r.text());
                j.put("tokens", r.tokens());
                j.put("context_tokens", r.contextTokens());
                j.put("query_tokens", r.queryTokens());
                j.put("timing", r.timing());
                Json.write(cmd.out, j);
            }
        }
        return 0;
    }
}
