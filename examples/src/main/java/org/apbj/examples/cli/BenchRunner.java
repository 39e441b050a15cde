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
import org.apbj.parallel.rank.Preflight;
import org.apbj.parallel.transfer.CommPath;
import org.apbj.tokenizer.ApbPrompt;
import org.apbj.tokenizer.Tokenizer;
import org.apbj.weights.SyntheticModelWriter;

/**
 * Runs {@code bench}: exact-length prompts of random (non-special) tokens, no chat header, a
 * 32-token query and one generated token (or 1 + --decode); per method one rank job (the model
 * loaded and kernels compiled once) runs, per length, warm-up runs then timed runs; the median is
 * reported with its breakdown. The job's cold start (JVM start, device open, model load, first
 * compile and the first, cold prefill) is reported apart, and with --peer the ratio to a peer's
 * figures (scripts/peer/hf_prefill_decode.py). Takes its {@link Settings} and output streams only,
 * so it runs without the command line.
 */
final class BenchRunner {
    static final int QUERY_TOKENS = 32;
    static final List<String> CATEGORIES = List.of("qkv", "retaining", "communication", "attention", "ffn", "staging", "other",
            "exposed_communication");

    /**
     * What to run: the model (or a synthetic shape written to a temporary folder first), the
     * methods and lengths, runs per cell, decoded tokens after the first, a peer's figures to
     * compare with (or null), and the engine options every method starts from.
     */
    record Settings(Path model, String synthShape, Integer layers, List<BenchVariant> methods, List<Integer> lengths, int warmup,
                    int repeat, int decode, long seed, Path peer, Options engine, Path out, Path chart) {
        Settings {
            if (warmup < 0) throw new IllegalArgumentException("--warmup=" + warmup + " must be at least 0");
            if (repeat < 1) throw new IllegalArgumentException("--repeat=" + repeat + " must be at least 1");
            if (decode < 0) throw new IllegalArgumentException("--decode=" + decode + " must be at least 0");
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

    /**
     * One (variant, length) of the table. {@code method} is the variant's label ("apb",
     * "ring/no-overlap", "apb@host"); {@code commPath} the path the ranks took (device, ipc, host;
     * none on one rank); {@code exposedShare} the slowest rank's exposed communication over prefill;
     * {@code exposedPerRankMs} every rank's (a rank that is not the slowest may stand still longer
     * while the slowest catches up: on a shared GPU the others' kernels run meanwhile).
     */
    record Cell(String method, int ranks, int length, String device, List<Double> warmupPrefillMs, List<Double> prefillMs,
                double medianPrefillMs, double tokensPerSecond, Map<String, Double> breakdownMs, double[] perRankPrefillMs,
                Double decodeMsPerToken, Double peerPrefillRatio, Double peerDecodeRatio, double retainingShare,
                String commPath, boolean overlap, double exposedShare, double[] exposedPerRankMs) {}

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
        // the peer's file is read before anything is written or started
        Peer.Figures peer = s.peer() == null ? null : Peer.read(s.peer());
        Path model = s.model();
        Path temp = null;
        if (s.synthShape() != null) {
            SyntheticModelWriter.Shape shape = SyntheticModelWriter.Shape.fromId(s.synthShape());
            temp = Files.createTempDirectory("apbj-bench-" + shape.id() + "-");
            out.println("writing a synthetic " + shape.id() + " model" + (s.layers() != null ? " (" + s.layers() + " layers)" : "") + " to " + temp);
            try (ByteProgress progress = new ByteProgress(err, "synthetic model")) {
                SyntheticModelWriter.write(shape, temp, s.seed(), s.layers(), null, progress);
            }
            model = temp;
        }
        try {
            return bench(model, peer);
        } finally {
            if (temp != null) deleteTree(temp);
        }
    }

    private int bench(Path model, Peer.Figures peer) throws IOException {
        // every method's engine is opened (and so checked), and every length, before the first run
        List<Apbj> engines = new ArrayList<>();
        for (BenchVariant v : s.methods()) engines.add(Apbj.open(model, engineOptions(v)));
        for (int length : s.lengths()) {
            Preflight.checkPositions(engines.getFirst().config(), model, length + QUERY_TOKENS, 1 + s.decode(),
                    s.engine().allowLongContext());
        }
        Tokenizer tokenizer = engines.getFirst().tokenizer();
        List<BenchVariant> methods = s.methods();
        List<Integer> lengths = s.lengths();
        List<Cell> cells = new ArrayList<>();
        List<ColdStartRow> colds = new ArrayList<>();
        int runs = s.warmup() + s.repeat();
        try (Progress progress = Progress.start(err, "bench", methods.size())) {
            for (int e = 0; e < engines.size(); e++) {
                Apbj opened = engines.get(e);
                BenchVariant v = methods.get(e);
                String m = v.label();
                int ranks = opened.options().ranks();
                try (opened) {
                    // one rank job per method; rank 0's weights loading shows beside the bar (in-process ranks)
                    Apbj engine = opened.withLoadProgress(progress.loading(m + ": one job, " + lengths.size() * runs + " runs"));
                    List<TokenRequest> reqs = new ArrayList<>();
                    for (int length : lengths) {
                        ApbPrompt prompt = randomPrompt(tokenizer, length, s.seed());
                        for (int i = 0; i < runs; i++) reqs.add(new TokenRequest(prompt, 1 + s.decode()));
                    }
                    List<Result> results = engine.generateTokens(reqs);   // one job: one model load
                    Result first = results.getFirst();
                    ColdStart c = first.coldStart();
                    colds.add(new ColdStartRow(m, ranks, c.requests(), c.jvmStartMs(), c.deviceOpenMs(), c.modelLoadMs(),
                            c.firstCompileMs(), first.timing().prefillMs()));
                    for (int li = 0; li < lengths.size(); li++) {
                        cells.add(cell(v.label(), opened.options().overlap(), ranks, lengths.get(li), results.subList(li * runs, (li + 1) * runs), peer));
                    }
                    progress.step(m + " done");
                }
            }
        }
        printColdStarts(out, colds);
        print(out, cells);
        if (peer != null) printPeer(out, peer, cells);
        Json.write(s.out(), new Report(model.toString(), s.synthShape(), QUERY_TOKENS, s.decode(), s.warmup(), s.repeat(),
                colds, cells, peer));
        Path chart = s.chart() != null ? s.chart() : Json.sibling(s.out(), ".png");
        boolean charted = ChartOutput.write(err, "bench", chart, s.out(),
                png -> ChartFile.writePng(BenchCharts.panels(methods.stream().map(BenchVariant::label).toList(), lengths, cells), png));
        out.println("results: " + s.out() + (charted ? "  chart: " + chart : ""));
        return 0;
    }

    /**
     * The engine options of a variant: the command's, with the variant's path and overlap where it
     * names them (plain "apb" keeps -Dapbj.comm.path / -Dapbj.comm.overlap); an @ipc job runs its
     * ranks as processes (mpjrun).
     */
    private Options engineOptions(BenchVariant v) {
        Options o = s.engine().forMethod(v.method()).chatFormat("plain");
        o = o.communication(v.path() != CommPath.AUTO ? v.path() : o.commPath(), v.overlap() && o.overlap());
        if (v.path() == CommPath.IPC && o.launch() != Options.Launch.MPJRUN) {
            String why = Apbj.mpjrunUnavailableReason().orElse(null);
            if (why != null) throw new IllegalArgumentException("--methods " + v.label() + " needs rank processes (mpjrun): " + why);
            o = o.mpjrun();
        }
        return o;
    }

    private Cell cell(String label, boolean overlap, int ranks, int length, List<Result> results, Peer.Figures peer) {
        List<Double> warm = new ArrayList<>(), timed = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) (i < s.warmup() ? warm : timed).add(results.get(i).timing().prefillMs());
        List<Result> timedResults = results.subList(s.warmup(), results.size());
        Result median = timedResults.stream().sorted(Comparator.comparingDouble(r -> r.timing().prefillMs()))
                .toList().get((timedResults.size() - 1) / 2);
        Map<String, Double> breakdown = new LinkedHashMap<>();
        for (String c : CATEGORIES) breakdown.put(c, median.timing().prefillBreakdownMs().getOrDefault(c, 0.0));
        double ms = median.timing().prefillMs();
        Double decode = null;
        if (s.decode() > 0) {
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
        return new Cell(label, ranks, length, median.device(), warm, timed, ms, length / (ms / 1000), breakdown,
                median.timing().prefillPerRankMs(), decode, prefillRatio, decodeRatio, median.timing().prefillRetainingShare(),
                median.commPath(), overlap, breakdown.get("exposed_communication") / ms, median.timing().prefillExposedPerRankMs());
    }

    static void printColdStarts(PrintWriter out, List<ColdStartRow> rows) {
        out.printf(Locale.ROOT, "%ncold start (one rank job per method; its requests share one model load):%n");
        out.printf(Locale.ROOT, "%-16s %5s %8s %11s %11s %11s %14s %20s%n", "method", "ranks", "requests", "JVM start", "device open",
                "model load", "first compile", "first prefill (cold)");
        for (ColdStartRow r : rows) {
            out.printf(Locale.ROOT, "%-16s %5d %8d %11s %9.1f ms %8.1f ms %11.1f ms %17.1f ms%n", r.method(), r.ranks(), r.requests(),
                    r.jvmStartMs() == null ? "-" : String.format(Locale.ROOT, "%.1f ms", r.jvmStartMs()), r.deviceOpenMs(),
                    r.modelLoadMs(), r.firstCompileMs(), r.firstPrefillMs());
        }
    }

    static void printPeer(PrintWriter out, Peer.Figures peer, List<Cell> cells) {
        out.printf(Locale.ROOT, "%nagainst %s (%s):%n", peer.peer(), peer.device());
        for (Cell c : cells) {
            Peer.Result p = peer.at(c.length());
            if (p == null) {
                out.printf(Locale.ROOT, "%-16s %7s  no peer figure at this length%n", c.method(), Lengths.format(c.length()));
                continue;
            }
            out.printf(Locale.ROOT, "%-16s %7s  prefill %.3f s vs %.3f s: %s", c.method(), Lengths.format(c.length()),
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
        out.printf(Locale.ROOT, "%nwarm (median of the timed runs):%n%-16s %5s %6s %7s %12s %10s %12s %9s %8s   %s%n", "method", "ranks", "path",
                "length", "prefill ms", "tokens/s", "decode ms/t", "retaining", "exposed", String.join(" / ", CATEGORIES) + " (ms)");
        for (Cell c : cells) {
            StringBuilder b = new StringBuilder();
            for (String k : CATEGORIES) b.append(b.isEmpty() ? "" : " / ").append(String.format(Locale.ROOT, "%.1f", c.breakdownMs().get(k)));
            StringBuilder perRank = new StringBuilder();
            for (double e : c.exposedPerRankMs()) perRank.append(perRank.isEmpty() ? "" : " / ").append(String.format(Locale.ROOT, "%.1f", e));
            out.printf(Locale.ROOT, "%-16s %5d %6s %7s %12.1f %10.0f %12s %8.1f%% %7.2f%%   %s   (exposed per rank %s ms; warm-up %s ms, excluded)%n",
                    c.method(), c.ranks(), c.commPath(), Lengths.format(c.length()), c.medianPrefillMs(), c.tokensPerSecond(),
                    c.decodeMsPerToken() == null ? "-" : String.format(Locale.ROOT, "%.2f", c.decodeMsPerToken()), 100 * c.retainingShare(),
                    100 * c.exposedShare(), b, perRank, c.warmupPrefillMs().stream().map(v -> String.format(Locale.ROOT, "%.1f", v)).toList());
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
