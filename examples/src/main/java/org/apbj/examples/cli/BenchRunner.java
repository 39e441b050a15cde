package org.apbj.examples.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.apbj.examples.api.Apbj;
import org.apbj.parallel.strategy.Method;
import org.apbj.examples.api.Options;
import org.apbj.examples.api.Result;
import org.apbj.examples.api.TokenRequest;
import org.apbj.examples.report.ByteProgress;
import org.apbj.examples.report.ChartFile;
import org.apbj.examples.report.ChartOutput;
import org.apbj.examples.report.Json;
import org.apbj.examples.report.Progress;
import org.apbj.tokenizer.ApbPrompt;
import org.apbj.tokenizer.Tokenizer;
import org.apbj.weights.SyntheticModelWriter;

/**
 * Runs {@code bench}: exact-length prompts of random (non-special) tokens, no chat header, a
 * 32-token query and one generated token; per method and length, warm-up runs then timed runs,
 * the median reported with its breakdown.
 */
final class BenchRunner {
    static final int QUERY_TOKENS = 32;
    static final List<String> CATEGORIES = List.of("qkv_scoring", "communication", "attention", "ffn", "staging", "other");

    private final BenchCommand cmd;

    BenchRunner(BenchCommand cmd) { this.cmd = cmd; }

    record Cell(String method, int ranks, int length, String device, List<Double> warmupPrefillMs, List<Double> prefillMs,
                double medianPrefillMs, double tokensPerSecond, Map<String, Double> breakdownMs, double[] perRankPrefillMs) {}

    record Report(String model, String synthShape, int queryTokens, int warmup, int repeat, List<Cell> cells) {}

    int run() throws Exception {
        if (cmd.warmup < 0) throw new IllegalArgumentException("--warmup must be >= 0, got " + cmd.warmup);
        if (cmd.repeat < 1) throw new IllegalArgumentException("--repeat must be >= 1, got " + cmd.repeat);
        List<Method> methods = Methods.parseList(cmd.methods);
        List<Integer> lengths = Lengths.parseList(cmd.lengths);
        PrintWriter out = cmd.spec.commandLine().getOut();
        Path model = cmd.source.model;
        Path temp = null;
        if (cmd.source.synth != null) {
            SyntheticModelWriter.Shape shape = SyntheticModelWriter.Shape.fromId(cmd.source.synth);
            temp = Files.createTempDirectory("apbj-bench-" + shape.id() + "-");
            out.println("writing a synthetic " + shape.id() + " model" + (cmd.layers != null ? " (" + cmd.layers + " layers)" : "") + " to " + temp);
            try (ByteProgress progress = new ByteProgress(cmd.spec.commandLine().getErr(), "synthetic model")) {
                SyntheticModelWriter.write(shape, temp, cmd.seed, cmd.layers, null, progress);
            }
            model = temp;
        } else if (cmd.layers != null) {
            throw new IllegalArgumentException("--layers applies to --synth models only");
        }
        try {
            return bench(out, model, methods, lengths);
        } finally {
            if (temp != null) deleteTree(temp);
        }
    }

    private int bench(PrintWriter out, Path model, List<Method> methods, List<Integer> lengths) throws IOException {
        Tokenizer tokenizer = Tokenizer.load(model);
        Options.Launch launch = LaunchChoice.resolve(cmd.inProcess, cmd.spec.commandLine().getErr());
        List<Cell> cells = new ArrayList<>();
        try (Progress progress = Progress.start(cmd.spec.commandLine().getErr(), "bench", methods.size() * lengths.size())) {
            for (Method m : methods) {
                Options o = Options.of(m).ranks(m == Method.DENSE ? 1 : cmd.ranks).device(cmd.device).chatFormat("plain")
                        .launch(launch);
                if (cmd.heads != null) o = o.heads(cmd.heads);
                try (Apbj opened = Apbj.open(model, o)) {
                    for (int length : lengths) {
                        Apbj engine = opened.withLoadProgress(progress.loading(m.id() + " " + Lengths.format(length)));
                        ApbPrompt prompt = randomPrompt(tokenizer, length, cmd.seed);
                        List<TokenRequest> reqs = new ArrayList<>();
                        for (int i = 0; i < cmd.warmup + cmd.repeat; i++) reqs.add(new TokenRequest(prompt, 1));
                        List<Result> results = engine.generateTokens(reqs);
                        cells.add(cell(m, o.ranks(), length, results));
                        progress.step(m.id() + " " + Lengths.format(length) + " done");
                    }
                }
            }
        }
        print(out, cells);
        Json.write(cmd.out, new Report(model.toString(), cmd.source.synth, QUERY_TOKENS, cmd.warmup, cmd.repeat, cells));
        Path chart = cmd.chart != null ? cmd.chart : Json.sibling(cmd.out, ".png");
        boolean charted = ChartOutput.write(cmd.spec.commandLine().getErr(), "bench", chart, cmd.out,
                png -> ChartFile.writePng(BenchCharts.panels(methods, lengths, cells), png));
        out.println("results: " + cmd.out + (charted ? "  chart: " + chart : ""));
        return 0;
    }

    private Cell cell(Method m, int ranks, int length, List<Result> results) {
        List<Double> warm = new ArrayList<>(), timed = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) (i < cmd.warmup ? warm : timed).add(results.get(i).timing().prefillMs());
        List<Result> timedResults = results.subList(cmd.warmup, results.size());
        Result median = timedResults.stream().sorted(Comparator.comparingDouble(r -> r.timing().prefillMs()))
                .toList().get((timedResults.size() - 1) / 2);
        Map<String, Double> breakdown = new LinkedHashMap<>();
        for (String c : CATEGORIES) breakdown.put(c, median.timing().prefillBreakdownMs().getOrDefault(c, 0.0));
        double ms = median.timing().prefillMs();
        return new Cell(m.id(), ranks, length, median.device(), warm, timed, ms, length / (ms / 1000), breakdown,
                median.timing().prefillPerRankMs());
    }

    /** {@code length} context tokens and a query, drawn from the non-special vocabulary. */
    static ApbPrompt randomPrompt(Tokenizer tokenizer, int length, long seed) {
        SplittableRandom r = new SplittableRandom(seed ^ length);
        int vocab = tokenizer.vocabSize();
        int[] context = new int[length], query = new int[QUERY_TOKENS];
        for (int[] a : new int[][] {context, query}) {
            for (int i = 0; i < a.length; i++) {
                int id;
                do { id = r.nextInt(vocab); } while (tokenizer.isSpecial(id));
                a[i] = id;
            }
        }
        return new ApbPrompt(context, query, 0);
    }

    static void print(PrintWriter out, List<Cell> cells) {
        out.printf(Locale.ROOT, "%n%-7s %5s %7s %12s %10s   %s%n", "method", "ranks", "length", "prefill ms", "tokens/s",
                String.join(" / ", CATEGORIES) + " (ms)");
        for (Cell c : cells) {
            StringBuilder b = new StringBuilder();
            for (String k : CATEGORIES) b.append(b.isEmpty() ? "" : " / ").append(String.format(Locale.ROOT, "%.1f", c.breakdownMs().get(k)));
            out.printf(Locale.ROOT, "%-7s %5d %7s %12.1f %10.0f   %s   (warm-up %s ms, excluded)%n", c.method(), c.ranks(),
                    Lengths.format(c.length()), c.medianPrefillMs(), c.tokensPerSecond(), b,
                    c.warmupPrefillMs().stream().map(v -> String.format(Locale.ROOT, "%.1f", v)).toList());
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
