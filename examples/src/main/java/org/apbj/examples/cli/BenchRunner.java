package org.apbj.examples.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
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
import org.apbj.examples.report.Charts;
import org.apbj.examples.report.Json;
import org.apbj.examples.report.ProgressBar;
import org.apbj.parallel.rank.Preflight;
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

    /**
     * What to run: the model (or a synthetic shape written to a temporary folder first), the
     * methods and lengths, runs per cell, and the engine options every method starts from.
     */
    record Settings(Path model, String synthShape, Integer layers, List<Method> methods, List<Integer> lengths, int warmup,
                    int repeat, long seed, Options engine, Path out, Path chart) {
        Settings {
            if (warmup < 0) throw new IllegalArgumentException("--warmup=" + warmup + " must be at least 0");
            if (repeat < 1) throw new IllegalArgumentException("--repeat=" + repeat + " must be at least 1");
            if (layers != null && synthShape == null) throw new IllegalArgumentException("--layers applies to --synth models only");
            if (layers != null && layers < 1) throw new IllegalArgumentException("--layers=" + layers + " must be at least 1");
            if (synthShape != null && model != null) throw new IllegalArgumentException("give --model DIR or --synth SHAPE, not both");
            if (synthShape != null) {
                try {
                    SyntheticModelWriter.Shape.fromId(synthShape);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--synth: " + e.getMessage(), e);
                }
            }
            methods = List.copyOf(methods);
            lengths = List.copyOf(lengths);
        }
    }

    private final Settings s;
    private final PrintWriter out;
    private final PrintWriter err;

    BenchRunner(Settings settings, PrintWriter out, PrintWriter err) {
        this.s = settings;
        this.out = out;
        this.err = err;
    }

    record Cell(String method, int ranks, int length, String device, List<Double> warmupPrefillMs, List<Double> prefillMs,
                double medianPrefillMs, double tokensPerSecond, Map<String, Double> breakdownMs, double[] perRankPrefillMs) {}

    record Report(String model, String synthShape, int queryTokens, int warmup, int repeat, List<Cell> cells) {}

    int run() throws Exception {
        Path model = s.model();
        Path temp = null;
        if (s.synthShape() != null) {
            SyntheticModelWriter.Shape shape = SyntheticModelWriter.Shape.fromId(s.synthShape());
            temp = Files.createTempDirectory("apbj-bench-" + shape.id() + "-");
            out.println("writing a synthetic " + shape.id() + " model" + (s.layers() != null ? " (" + s.layers() + " layers)" : "") + " to " + temp);
            SyntheticModelWriter.write(shape, temp, s.seed(), s.layers(), null, SyntheticModelWriter.consoleProgress());
            System.err.println();
            model = temp;
        }
        try {
            return bench(model);
        } finally {
            if (temp != null) deleteTree(temp);
        }
    }

    private int bench(Path model) throws IOException {
        // every method's engine is opened (and so checked), and every length, before the first run
        List<Apbj> engines = new ArrayList<>();
        for (Method m : s.methods()) engines.add(Apbj.open(model, s.engine().forMethod(m).chatFormat("plain")));
        for (int length : s.lengths()) {
            Preflight.checkPositions(engines.getFirst().config(), model, length + QUERY_TOKENS, 1, s.engine().allowLongContext());
        }
        Tokenizer tokenizer = engines.getFirst().tokenizer();
        List<Cell> cells = new ArrayList<>();
        ProgressBar bar = new ProgressBar(err, s.methods().size() * s.lengths().size(), true);
        try {
            for (Apbj engine : engines) {
                Method m = engine.options().method();
                try (engine) {
                    for (int length : s.lengths()) {
                        bar.show(m.id() + " " + Lengths.format(length) + " (" + (s.warmup() + s.repeat()) + " runs)");
                        ApbPrompt prompt = randomPrompt(tokenizer, length, s.seed());
                        List<TokenRequest> reqs = new ArrayList<>();
                        for (int i = 0; i < s.warmup() + s.repeat(); i++) reqs.add(new TokenRequest(prompt, 1));
                        List<Result> results = engine.generateTokens(reqs);
                        cells.add(cell(m, engine.options().ranks(), length, results));
                        bar.step(m.id() + " " + Lengths.format(length));
                    }
                }
            }
        } finally {
            bar.finish();
        }
        print(out, cells);
        Json.write(s.out(), new Report(model.toString(), s.synthShape(), QUERY_TOKENS, s.warmup(), s.repeat(), cells));
        Path chart = s.chart() != null ? s.chart() : Json.sibling(s.out(), ".png");
        Charts.write(panels(s.methods(), s.lengths(), cells), chart);
        out.println("results: " + s.out() + "  chart: " + chart);
        return 0;
    }

    private Cell cell(Method m, int ranks, int length, List<Result> results) {
        List<Double> warm = new ArrayList<>(), timed = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) (i < s.warmup() ? warm : timed).add(results.get(i).timing().prefillMs());
        List<Result> timedResults = results.subList(s.warmup(), results.size());
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

    static List<Charts.Panel> panels(List<Method> methods, List<Integer> lengths, List<Cell> cells) {
        List<String> xs = lengths.stream().map(Lengths::format).toList();
        List<String> names = methods.stream().map(Method::id).toList();
        double[][] y = new double[names.size()][xs.size()];
        for (double[] row : y) Arrays.fill(row, Double.NaN);
        List<String> bars = new ArrayList<>();
        double[][] stacked = new double[cells.size()][CATEGORIES.size()];
        for (int i = 0; i < cells.size(); i++) {
            Cell c = cells.get(i);
            y[names.indexOf(c.method())][lengths.indexOf(c.length())] = c.medianPrefillMs() / 1000;
            bars.add(c.method() + " " + Lengths.format(c.length()));
            for (int k = 0; k < CATEGORIES.size(); k++) stacked[i][k] = c.breakdownMs().get(CATEGORIES.get(k)) / 1000;
        }
        return List.of(new Charts.Line("Prefill time vs context length", "prefill (s)", xs, names, y),
                new Charts.Stacked("Prefill breakdown (slowest rank)", "time (s)", bars, CATEGORIES, stacked));
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
