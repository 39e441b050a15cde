package org.apbj.examples.eval;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apbj.examples.eval.tasks.CommonWordsDraft;
import org.apbj.examples.eval.tasks.FrequentWordsDraft;
import org.apbj.examples.eval.tasks.KvRetrievalDraft;
import org.apbj.examples.eval.tasks.MathFindDraft;
import org.apbj.examples.eval.tasks.NiahDraft;
import org.apbj.examples.eval.tasks.NiahDraft.Haystack;
import org.apbj.examples.eval.tasks.RepeatedNeedleDraft;
import org.apbj.examples.eval.tasks.VariableTrackingDraft;

/**
 * The suite's tasks, with RULER's configurations (synthetic.yaml) and InfiniteBench's metrics
 * and generation budgets.
 */
public enum Task {
    NIAH_SINGLE_1(Benchmark.RULER, Metric.ALL, 128),
    NIAH_SINGLE_2(Benchmark.RULER, Metric.ALL, 128),
    NIAH_SINGLE_3(Benchmark.RULER, Metric.ALL, 128),
    NIAH_MULTIKEY_1(Benchmark.RULER, Metric.ALL, 128),
    NIAH_MULTIKEY_2(Benchmark.RULER, Metric.ALL, 128),
    NIAH_MULTIKEY_3(Benchmark.RULER, Metric.ALL, 128),
    NIAH_MULTIVALUE(Benchmark.RULER, Metric.ALL, 128),
    NIAH_MULTIQUERY(Benchmark.RULER, Metric.ALL, 128),
    VT(Benchmark.RULER, Metric.ALL, 30),
    CWE(Benchmark.RULER, Metric.ALL, 120),
    FWE(Benchmark.RULER, Metric.ALL, 50),
    PASSKEY(Benchmark.INFINITE_BENCH, Metric.FIRST_NUMBER, 6),
    NUMBER_STRING(Benchmark.INFINITE_BENCH, Metric.FIRST_NUMBER, 12),
    KV_RETRIEVAL(Benchmark.INFINITE_BENCH, Metric.WORD, 50),
    MATH_FIND(Benchmark.INFINITE_BENCH, Metric.NUMBER_VALUE, 3);

    public enum Benchmark { RULER, INFINITE_BENCH }

    /** The tasks models/tiny-niah was trained on (its README), by their suite names. */
    public static final List<Task> TRAINED = List.of(NIAH_SINGLE_1, NIAH_SINGLE_2, NIAH_MULTIKEY_1, NIAH_MULTIVALUE,
            NIAH_MULTIQUERY, PASSKEY, VT);

    public final Benchmark benchmark;
    public final Metric metric;
    /** Tokens to generate, as the references do (RULER per task; InfiniteBench DATA_NAME_TO_MAX_NEW_TOKENS). */
    public final int maxNewTokens;

    Task(Benchmark benchmark, Metric metric, int maxNewTokens) {
        this.benchmark = benchmark;
        this.metric = metric;
        this.maxNewTokens = maxNewTokens;
    }

    /** The reference's name: niah_single_1, passkey ... */
    public String id() { return name().toLowerCase(Locale.ROOT); }

    /** A fresh instance of this task drawn from {@code r}. */
    public Draft draft(Style style, SplittableRandom r) {
        return switch (this) {
            case NIAH_SINGLE_1 -> new NiahDraft(style, Haystack.NOISE, "words", "numbers", 1, 1, 1, r);
            case NIAH_SINGLE_2 -> new NiahDraft(style, Haystack.ESSAY, "words", "numbers", 1, 1, 1, r);
            case NIAH_SINGLE_3 -> new NiahDraft(style, Haystack.ESSAY, "words", "uuids", 1, 1, 1, r);
            case NIAH_MULTIKEY_1 -> new NiahDraft(style, Haystack.ESSAY, "words", "numbers", 4, 1, 1, r);
            case NIAH_MULTIKEY_2 -> new NiahDraft(style, Haystack.NEEDLE, "words", "numbers", 1, 1, 1, r);
            case NIAH_MULTIKEY_3 -> new NiahDraft(style, Haystack.NEEDLE, "uuids", "uuids", 1, 1, 1, r);
            case NIAH_MULTIVALUE -> new NiahDraft(style, Haystack.ESSAY, "words", "numbers", 1, 4, 1, r);
            case NIAH_MULTIQUERY -> new NiahDraft(style, Haystack.ESSAY, "words", "numbers", 4, 1, 4, r);
            case VT -> new VariableTrackingDraft(style, 4, r);
            case CWE -> new CommonWordsDraft(r);
            case FWE -> new FrequentWordsDraft(r);
            case PASSKEY -> new RepeatedNeedleDraft(style, RepeatedNeedleDraft.Kind.PASSKEY, r);
            case NUMBER_STRING -> new RepeatedNeedleDraft(style, RepeatedNeedleDraft.Kind.NUMBER_STRING, r);
            case KV_RETRIEVAL -> new KvRetrievalDraft(r);
            case MATH_FIND -> new MathFindDraft(r);
        };
    }

    public static Task parse(String s) {
        for (Task t : values()) if (t.id().equalsIgnoreCase(s.trim())) return t;
        throw new IllegalArgumentException("--tasks: unknown task '" + s + "': use one of " + ids(List.of(values()))
                + ", or ruler, infbench, trained, all");
    }

    /** "all", "ruler", "infbench", "trained" or a comma list of task names (groups may be mixed in). */
    public static List<Task> parseList(String csv) {
        LinkedHashSet<Task> out = new LinkedHashSet<>();
        for (String part : csv.split(",")) {
            String p = part.trim().toLowerCase(Locale.ROOT);
            if (p.isEmpty()) continue;
            switch (p) {
                case "all" -> out.addAll(List.of(values()));
                case "ruler" -> { for (Task t : values()) if (t.benchmark == Benchmark.RULER) out.add(t); }
                case "infbench", "infinitebench" -> { for (Task t : values()) if (t.benchmark == Benchmark.INFINITE_BENCH) out.add(t); }
                case "trained" -> out.addAll(TRAINED);
                default -> out.add(parse(p));
            }
        }
        if (out.isEmpty()) throw new IllegalArgumentException("--tasks '" + csv + "' names no task: give task names or ruler, infbench, trained, all");
        return new ArrayList<>(out);
    }

    static String ids(List<Task> tasks) {
        return String.join(", ", tasks.stream().map(Task::id).toList());
    }
}
