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
import org.apbj.examples.api.ColdStart;
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
 * 32-token query and one generated token (or 1 + --decode); per method one rank job (the model
 * loaded and kernels compiled once) runs, per length, warm-up runs then timed runs; the median is
 * reported with its breakdown. The job's cold start (JVM start, device open, model load, first
 * compile and the first, cold prefill) is reported apart, and with --peer the ratio to a peer's
 * figures (scripts/peer/hf_prefill_decode.py).
 */
final class BenchRunner {
    static final int QUERY_TOKENS = 32;
    static final List<String> CATEGORIES = List.of("qkv_scoring", "communication", "attention", "ffn", "staging", "other");

    private final BenchCommand cmd;

    BenchRunner(BenchCommand cmd) { this.cmd = cmd; }

    record Cell(String method, int ranks, int length, String device, List<Double> warmupPrefillMs, List<Double> prefillMs,
                double medianPrefillMs, double tokensPerSecond, Map<String, Double> breakdownMs, double[] perRankPrefillMs,
                Double decodeMsPerToken, Double peerPrefillRatio, Double peerDecodeRatio) {}

    /**
     * One method's rank job before its requests ran warm.
     *
     * @param requests         requests the job ran on its one model load
     * @param firstPrefillMs   the job's first prefill (a warm-up run when --warmup &gt; 0): cold, compiles included
     */
    record ColdStartRow(String method, int ranks, int requests, Double jvmStartMs, double deviceOpenMs, double modelLoadMs,
                        double firstCompileMs, double firstPrefillMs) {}

    record Report(String model, String synthShape, int queryTokens, int decodeTokens, int warmup, int repeat,
                  List<ColdStartRow> coldStarts, List<Cell> cells, Peer.Figures peer) {}

    int run() throws Exception {
        if (cmd.warmup < 0) throw new IllegalArgumentException("--warmup must be >= 0, got " + cmd.warmup);
        if (cmd.decode < 0) throw new IllegalArgumentException("--decode must be >= 0, got " + cmd.decode);
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
        Peer.Figures peer = cmd.peer == null ? null : Peer.read(cmd.peer);
        Options.Launch launch = LaunchChoice.resolve(cmd.inProcess, cmd.spec.commandLine().getErr());
        List<Cell> cells = new ArrayList<>();
        List<ColdStartRow> colds = new ArrayList<>();
        int runs = cmd.warmup + cmd.repeat;
        try (Progress progress = Progress.start(cmd.spec.commandLine().getErr(), "bench", methods.size())) {
            for (Method m : methods) {
                Options o = Options.of(m).ranks(m == Method.DENSE ? 1 : cmd.ranks).device(cmd.device).chatFormat("plain")
                        .launch(launch);
                if (cmd.heads != null) o = o.heads(cmd.heads);
                try (Apbj opened = Apbj.open(model, o)) {
                    // rank 0's weights loading shows beside the bar (in-process ranks)
                    Apbj engine = opened.withLoadProgress(progress.loading(m.id() + ": one job, " + lengths.size() * runs + " runs"));
                    List<TokenRequest> reqs = new ArrayList<>();
                    for (int length : lengths) {
                        ApbPrompt prompt = randomPrompt(tokenizer, length, cmd.seed);
                        for (int i = 0; i < runs; i++) reqs.add(new TokenRequest(prompt, 1 + cmd.decode));
                    }
                    List<Result> results = engine.generateTokens(reqs);   // one job: one model load
                    Result first = results.getFirst();
                    ColdStart c = first.coldStart();
                    colds.add(new ColdStartRow(m.id(), o.ranks(), c.requests(), c.jvmStartMs(), c.deviceOpenMs(), c.modelLoadMs(),
                            c.firstCompileMs(), first.timing().prefillMs()));
                    for (int li = 0; li < lengths.size(); li++) {
                        cells.add(cell(m, o.ranks(), lengths.get(li), results.subList(li * runs, (li + 1) * runs), peer));
                    }
                    progress.step(m.id() + " done");
                }
            }
        }
        printColdStarts(out, colds);
        print(out, cells);
        if (peer != null) printPeer(out, peer, cells);
        Json.write(cmd.out, new Report(model.toString(), cmd.source.synth, QUERY_TOKENS, cmd.decode, cmd.warmup, cmd.repeat,
                colds, cells, peer));
        Path chart = cmd.chart != null ? cmd.chart : Json.sibling(cmd.out, ".png");
        boolean charted = ChartOutput.write(cmd.spec.commandLine().getErr(), "bench", chart, cmd.out,
                png -> ChartFile.writePng(BenchCharts.panels(methods, lengths, cells), png));
        out.println("results: " + cmd.out + (charted ? "  chart: " + chart : ""));
        return 0;
    }

    private Cell cell(Method m, int ranks, int length, List<Result> results, Peer.Figures peer) {
        List<Double> warm = new ArrayList<>(), timed = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) (i < cmd.warmup ? warm : timed).add(results.get(i).timing().prefillMs());
        List<Result> timedResults = results.subList(cmd.warmup, results.size());
        Result median = timedResults.stream().sorted(Comparator.comparingDouble(r -> r.timing().prefillMs()))
                .toList().get((timedResults.size() - 1) / 2);
        Map<String, Double> breakdown = new LinkedHashMap<>();
        for (String c : CATEGORIES) breakdown.put(c, median.timing().prefillBreakdownMs().getOrDefault(c, 0.0));
        double ms = median.timing().prefillMs();
        Double decode = null;
        if (cmd.decode > 0) {
            double[] perToken = timedResults.stream().filter(r -> r.tokens().length > 1)
                    .mapToDouble(r -> r.timing().decodeMs() / (r.tokens().length - 1)).sorted().toArray();
            if (perToken.length > 0) decode = perToken[(perToken.length - 1) / 2];
        }
        Double prefillRatio = null, decodeRatio = null;
        if (peer != null) {
            Peer.Result p = peer.at(length);
            if (p != null && p.prefillSeconds() > 0) prefillRatio = ms / 1000 / p.prefillSeconds();
            if (p != null && decode != null && p.decodeMsPerToken() != null && p.decodeMsPerToken() > 0) {
                decodeRatio = decode / p.decodeMsPerToken();
            }
        }
        return new Cell(m.id(), ranks, length, median.device(), warm, timed, ms, length / (ms / 1000), breakdown,
                median.timing().prefillPerRankMs(), decode, prefillRatio, decodeRatio);
    }

    static void printColdStarts(PrintWriter out, List<ColdStartRow> rows) {
        out.printf(Locale.ROOT, "%ncold start (one rank job per method; its requests share one model load):%n");
        out.printf(Locale.ROOT, "%-7s %5s %8s %11s %11s %11s %14s %20s%n", "method", "ranks", "requests", "JVM start", "device open",
                "model load", "first compile", "first prefill (cold)");
        for (ColdStartRow r : rows) {
            out.printf(Locale.ROOT, "%-7s %5d %8d %11s %9.1f ms %8.1f ms %11.1f ms %17.1f ms%n", r.method(), r.ranks(), r.requests(),
                    r.jvmStartMs() == null ? "-" : String.format(Locale.ROOT, "%.1f ms", r.jvmStartMs()), r.deviceOpenMs(),
                    r.modelLoadMs(), r.firstCompileMs(), r.firstPrefillMs());
        }
    }

    static void printPeer(PrintWriter out, Peer.Figures peer, List<Cell> cells) {
        out.printf(Locale.ROOT, "%nagainst %s (%s):%n", peer.peer(), peer.device());
        for (Cell c : cells) {
            Peer.Result p = peer.at(c.length());
            if (p == null) {
                out.printf(Locale.ROOT, "%-7s %7s  no peer figure at this length%n", c.method(), Lengths.format(c.length()));
                continue;
            }
            out.printf(Locale.ROOT, "%-7s %7s  prefill %.3f s vs %.3f s: %s", c.method(), Lengths.format(c.length()),
                    c.medianPrefillMs() / 1000, p.prefillSeconds(), ratio(c.peerPrefillRatio()));
            if (c.decodeMsPerToken() != null && p.decodeMsPerToken() != null) {
                out.printf(Locale.ROOT, "; decode %.2f vs %.2f ms/token: %s", c.decodeMsPerToken(), p.decodeMsPerToken(),
                        ratio(c.peerDecodeRatio()));
            }
            out.println();
        }
    }

    /** 14.5 -> "14.5x slower", 0.5 -> "2.00x faster". */
    static String ratio(Double r) {
        if (r == null) return "-";
        return r >= 1 ? String.format(Locale.ROOT, "%.2fx slower", r) : String.format(Locale.ROOT, "%.2fx faster", 1 / r);
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
        out.printf(Locale.ROOT, "%nwarm (median of the timed runs):%n%-7s %5s %7s %12s %10s %12s   %s%n", "method", "ranks", "length",
                "prefill ms", "tokens/s", "decode ms/t", String.join(" / ", CATEGORIES) + " (ms)");
        for (Cell c : cells) {
            StringBuilder b = new StringBuilder();
            for (String k : CATEGORIES) b.append(b.isEmpty() ? "" : " / ").append(String.format(Locale.ROOT, "%.1f", c.breakdownMs().get(k)));
            out.printf(Locale.ROOT, "%-7s %5d %7s %12.1f %10.0f %12s   %s   (warm-up %s ms, excluded)%n", c.method(), c.ranks(),
                    Lengths.format(c.length()), c.medianPrefillMs(), c.tokensPerSecond(),
                    c.decodeMsPerToken() == null ? "-" : String.format(Locale.ROOT, "%.2f", c.decodeMsPerToken()), b,
                    c.warmupPrefillMs().stream().map(v -> String.format(Locale.ROOT, "%.1f", v)).toList());
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
