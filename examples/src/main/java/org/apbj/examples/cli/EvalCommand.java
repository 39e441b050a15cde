package org.apbj.examples.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apbj.examples.eval.Task;
import org.apbj.parallel.strategy.Method;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Accuracy suite (RULER / InfiniteBench-style) per method and length.",
                "RULER tasks (niah_single_1..3, niah_multikey_1..3, niah_multivalue,",
                "niah_multiquery, vt, cwe, fwe) and InfiniteBench tasks (passkey, number_string, kv_retrieval,",
                "math_find), generated deterministically from --seed at each --lengths, scored per method.",
                "Prints the SHA-256 of every generated (task, length, seed) set."})
public final class EvalCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin ModelOptions model;

    @Mixin EngineOptions engine;

    @Option(names = "--methods", defaultValue = "dense,apb", description = "(default: ${DEFAULT-VALUE})")
    String methods;

    @Option(names = "--tasks", defaultValue = "all",
            description = "comma list of tasks, 'ruler', 'infbench', 'trained' (the tiny-niah tasks) or 'all' (default: ${DEFAULT-VALUE})")
    String tasks;

    @Option(names = "--lengths", defaultValue = "4k", description = "prompt lengths in tokens, context + query (default: ${DEFAULT-VALUE})")
    String lengths;

    @Option(names = "--samples", paramLabel = "N", defaultValue = "10", description = "samples per task and length (default: ${DEFAULT-VALUE})")
    int samples;

    @Option(names = "--seed", defaultValue = "20250218", description = "generator seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--dataset", paramLabel = "FILE.jsonl",
            description = "score these samples instead of generated ones: JSON lines {id, task, context, query, outputs, metric}")
    Path dataset;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "tokens to generate (default: per task, as RULER / InfiniteBench)")
    Integer maxNewTokens;

    @Option(names = "--generate-only", description = "generate the samples and print their SHA-256 (and write them with --out) without running a model")
    boolean generateOnly;

    @Option(names = "--out", paramLabel = "FILE", defaultValue = "eval.json", description = "scores as JSON (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--chart", paramLabel = "FILE", description = "PNG chart (default: the --out path with .png)")
    Path chart;

    @Option(names = "--log", paramLabel = "FILE", description = "per-sample log, JSON lines (default: the --out path with .samples.jsonl)")
    Path log;

    @Override
    public Integer call() throws Exception {
        var settings = new EvalRunner.Settings(model.model(), Methods.parseList(methods), Task.parseList(tasks), Lengths.parseList(lengths),
                samples, seed, dataset, maxNewTokens, generateOnly, engine.options(Method.APB, model, spec.commandLine().getErr()),
                out, chart, log);
        return new EvalRunner(settings, spec.commandLine().getOut(), spec.commandLine().getErr()).run();
    }
}
