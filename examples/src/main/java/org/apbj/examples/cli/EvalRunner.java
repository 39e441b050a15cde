package org.apbj.examples.cli;

import java.io.BufferedWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
import org.apbj.examples.eval.Dataset;
import org.apbj.examples.eval.EvalReport;
import org.apbj.examples.eval.Sample;
import org.apbj.examples.eval.SampleSet;
import org.apbj.examples.eval.Scoring;
import org.apbj.examples.eval.Seeds;
import org.apbj.examples.eval.SuiteGenerator;
import org.apbj.examples.eval.Task;
import org.apbj.examples.report.ChartFile;
import org.apbj.examples.report.ChartOutput;
import org.apbj.examples.report.Json;
import org.apbj.examples.report.Progress;
import org.apbj.parallel.rank.Preflight;
import org.apbj.tokenizer.ChatFormat;
import org.apbj.tokenizer.Tokenizer;

/**
 * Runs {@code eval}: generate (or read) the sets, run every method on them, score, report.
 * Takes its {@link Settings} and output streams only, so it runs without the command line.
 */
final class EvalRunner {

    /** What to run: the model, the methods, the sets (generated, or read from a dataset), and where to write. */
    record Settings(Path model, List<Method> methods, List<Task> tasks, List<Integer> lengths, int samples, long seed,
                    Path dataset, Integer maxNewTokens, boolean generateOnly, Options engine, Path out, Path chart, Path log) {
        Settings {
            if (samples < 1) throw new IllegalArgumentException("--samples=" + samples + " must be at least 1");
            if (maxNewTokens != null && maxNewTokens < 1) throw new IllegalArgumentException("--max-new-tokens=" + maxNewTokens + " must be at least 1");
            if (generateOnly && dataset != null) throw new IllegalArgumentException("--generate-only writes generated samples: it does not take --dataset");
            methods = List.copyOf(methods);
            tasks = List.copyOf(tasks);
            lengths = List.copyOf(lengths);
        }
    }

    private final Settings settings;
    private final PrintWriter out;
    private final PrintWriter err;

    EvalRunner(Settings settings, PrintWriter out, PrintWriter err) {
        this.settings = settings;
        this.out = out;
        this.err = err;
    }

    /** A set to run: its label for the length column and its samples. */
    record Work(String task, String length, List<Sample> samples) {}

    /** One line of the per-sample log. */
    record LogLine(String id, String task, String length, String method, String promptSha256, List<String> answer,
                   String prediction, double score, boolean correct, List<Double> depths, String stratum) {}

    int run() throws Exception {
        Path model = settings.model();
        List<Method> methods = settings.methods();
        Path chart = settings.chart() != null ? settings.chart() : Json.sibling(settings.out(), ".png");
        Path log = settings.log() != null ? settings.log() : Json.sibling(settings.out(), ".samples.jsonl");
        // every method's engine is opened (and so checked) before the sets are generated
        List<Apbj> engines = new ArrayList<>();
        if (!settings.generateOnly()) for (Method m : methods) engines.add(Apbj.open(model, settings.engine().forMethod(m)));

        EvalReport report = new EvalReport();
        List<Work> work = new ArrayList<>();
        if (settings.dataset() != null) {
            for (var e : Dataset.read(settings.dataset()).entrySet()) {
                String sha = sha(e.getValue());
                report.addSet(new EvalReport.SetInfo(e.getKey(), "dataset", 0, e.getValue().size(), sha));
                out.printf(Locale.ROOT, "set %-16s %-8s %3d samples  sha256 %s%n", e.getKey(), "dataset", e.getValue().size(), sha);
                work.add(new Work(e.getKey(), "dataset", e.getValue()));
            }
        } else {
            ChatPromptTokens tokens = new ChatPromptTokens(ChatFormat.forTokenizer(Tokenizer.load(model)));
            if (!engines.isEmpty()) {
                for (int length : settings.lengths()) {
                    Preflight.checkPositions(engines.getFirst().config(), model, length, settings.maxNewTokens() != null ? settings.maxNewTokens() : 1,
                            settings.engine().allowLongContext());
                }
            }
            SuiteGenerator gen = new SuiteGenerator(tokens, tokens.style(), settings.engine().ranks());
            List<Task> tasks = settings.tasks();
            List<Integer> lengths = settings.lengths();
            try (Progress progress = Progress.start(err, "generating sets", tasks.size() * lengths.size())) {
                for (int length : lengths) {
                    for (Task t : tasks) {
                        progress.message(t.id() + " " + Lengths.format(length));
                        SampleSet set = gen.generate(t, length, settings.seed(), settings.samples());
                        progress.step(t.id() + " " + Lengths.format(length));
                        report.addSet(new EvalReport.SetInfo(t.id(), Lengths.format(length), settings.seed(), set.samples().size(), set.sha256()));
                        work.add(new Work(t.id(), Lengths.format(length), set.samples()));
                    }
                }
            }
            for (EvalReport.SetInfo s : report.sets()) {
                out.printf(Locale.ROOT, "set %-16s %-6s seed %d  %3d samples  sha256 %s%n", s.task(), s.length(), s.seed(), s.samples(), s.sha256());
            }
        }
        Map<String, Object> reportSettings = reportSettings(model, methods);
        Path logDir = log.toAbsolutePath().getParent();
        if (logDir != null) Files.createDirectories(logDir);
        if (settings.generateOnly()) {
            try (BufferedWriter w = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
                for (Work wk : work) for (Sample s : wk.samples()) { w.write(Json.line(Dataset.toJson(s))); w.newLine(); }
            }
            Json.write(settings.out(), report.toJson(reportSettings));
            out.println("samples written to " + log + " (JSON lines, readable with --dataset); sets to " + settings.out());
            return 0;
        }

        int total = methods.size() * work.stream().mapToInt(w -> w.samples().size()).sum();
        int samples = work.stream().mapToInt(w -> w.samples().size()).sum();
        try (BufferedWriter logOut = Files.newBufferedWriter(log, StandardCharsets.UTF_8);
             Progress progress = Progress.start(err, "eval", total)) {
            for (Apbj opened : engines) {
                Method m = opened.options().method();
                try (opened) {
                    // one rank job per method: the model is loaded and the kernels compiled once for all samples;
                    // rank 0's weights loading shows beside the bar (in-process ranks)
                    Apbj engine = opened.withLoadProgress(progress.loading(m.id() + ": one job for " + samples + " samples"));
                    List<Request> reqs = new ArrayList<>();
                    for (Work wk : work) {
                        for (Sample s : wk.samples()) {
                            int maxNew = settings.maxNewTokens() != null ? settings.maxNewTokens() : s.maxNewTokens();
                            reqs.add(new Request(s.context(), s.question(), s.answerPrefix(), maxNew));
                        }
                    }
                    List<Result> results = engine.generateAll(reqs);
                    int next = 0;
                    for (Work wk : work) {
                        for (Sample s : wk.samples()) {
                            String pred = results.get(next++).text();
                            double score = Scoring.score(s.metric(), pred, s.outputs());
                            report.add(m.id(), wk.length(), wk.task(), score);
                            logOut.write(Json.line(new LogLine(s.id(), s.task(), wk.length(), m.id(),
                                    Seeds.sha256Hex(s.context() + "\u0000" + s.question() + "\u0000" + s.answerPrefix()),
                                    s.outputs(), pred, score, score == 1.0, s.depths(), s.stratum())));
                            logOut.newLine();
                            progress.step(m.id() + " " + wk.task() + " " + wk.length());
                        }
                        logOut.flush();
                    }
                }
            }
        }
        printTable(out, report);
        Json.write(settings.out(), report.toJson(reportSettings));
        boolean charted = ChartOutput.write(err, "eval", chart, settings.out(),
                png -> ChartFile.writePng(EvalCharts.panels(report), png));
        out.println("scores: " + settings.out() + (charted ? "  chart: " + chart : "") + "  per-sample log: " + log);
        return 0;
    }

    private Map<String, Object> reportSettings(Path model, List<Method> methods) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model.toString());
        m.put("methods", methods.stream().map(Method::id).toList());
        m.put("ranks", settings.engine().ranks());
        m.put("seed", settings.seed());
        m.put("samples", settings.samples());
        m.put("device", settings.engine().device());
        m.put("dataset", settings.dataset() == null ? null : settings.dataset().toString());
        return m;
    }

    static String sha(List<Sample> samples) {
        return SampleSet.of("dataset", 0, 0, samples).sha256();
    }

    static void printTable(PrintWriter out, EvalReport r) {
        for (String len : r.lengths()) {
            out.printf(Locale.ROOT, "%nlength %s%n%-18s", len, "task");
            for (String m : r.methods()) out.printf(Locale.ROOT, "%10s", m);
            out.println();
            for (String t : r.tasks()) {
                out.printf(Locale.ROOT, "%-18s", t);
                for (String m : r.methods()) out.printf(Locale.ROOT, "%10.2f", r.score(m, len, t));
                out.println();
            }
            out.printf(Locale.ROOT, "%-18s", "average");
            for (String m : r.methods()) out.printf(Locale.ROOT, "%10.2f", r.averages().get(m).get(len));
            out.println();
        }
    }
}
