package org.apbj.examples.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apbj.parallel.strategy.Method;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Prefill time and its breakdown per method and length (JSON + PNG).",
                "Reports prefill time, tokens/s and the breakdown (QKV, retaining heads, communication, attention,",
                "FFN, staging, exposed communication) and the retaining heads' share per method and context length.",
                "Each method runs as one job (model loaded and kernels compiled once); its cold start is reported apart. Warm-up runs are excluded and reported.",
                "Writes JSON (--out) and a PNG chart (--chart): time vs length, and a stacked breakdown."})
public final class BenchCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin ModelOptions model;

    @Mixin EngineOptions engine;

    @Option(names = "--synth", paramLabel = "SHAPE",
            description = "instead of --model: a synthetic model of this shape, written to a temporary folder: llama-3.1-8b, qwen-2.5-14b or tiny")
    String synth;

    @Option(names = "--layers", paramLabel = "N", description = "with --synth: only this many layers (faster, same per-layer cost)")
    Integer layers;

    @Option(names = "--methods", defaultValue = "apb,star,ring,dense",
            description = {"methods, each METHOD[@device|@ipc|@host][/no-overlap]: one job each, side by side in one table",
                    "(ring,ring/no-overlap: ring with and without overlap; apb@host: the forced host path; apb@ipc: rank",
                    "processes through mpjrun) (default: ${DEFAULT-VALUE})"})
    String methods;

    @Option(names = "--lengths", defaultValue = "16k,32k,128k", description = "context lengths in tokens (default: ${DEFAULT-VALUE})")
    String lengths;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "1", description = "warm-up runs per cell, excluded from the numbers (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--repeat", paramLabel = "N", defaultValue = "3", description = "timed runs per cell; the median is reported (default: ${DEFAULT-VALUE})")
    int repeat;

    @Option(names = "--seed", defaultValue = "7", description = "seed of the benchmark prompts and synthetic weights (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--out", paramLabel = "FILE", description = "results as JSON (default: ${DEFAULT-VALUE})", defaultValue = "bench.json")
    Path out;

    @Option(names = "--chart", paramLabel = "FILE", description = "PNG chart (default: the --out path with .png)")
    Path chart;

    @Option(names = "--decode", paramLabel = "N", defaultValue = "0",
            description = "also generate N tokens after the first and report decode ms/token (default: ${DEFAULT-VALUE})")
    int decode;

    @Option(names = "--peer", paramLabel = "FILE",
            description = "a peer's figures (JSON of scripts/peer/hf_prefill_decode.py): print and record our time over theirs")
    Path peer;

    @Override
    public Integer call() throws Exception {
        if (synth != null && model.model != null) throw new IllegalArgumentException("give --model DIR or --synth SHAPE, not both");
        var settings = new BenchRunner.Settings(synth != null ? null : model.model(), synth, layers, BenchVariant.parseList(methods),
                Lengths.parseList(lengths), warmup, repeat, decode, seed, peer, engine.options(Method.APB, model, spec.commandLine().getErr()),
                out, chart);
        return new BenchRunner(settings, spec.commandLine().getOut(), spec.commandLine().getErr()).run();
    }
}
