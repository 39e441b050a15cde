package org.apbj.examples.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Option;

@Command(name = "synth-model", mixinStandardHelpOptions = true,
        description = "Writes a synthetic Hugging Face model directory (config.json, safetensors, random bf16 weights).")
public final class SynthModelCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--shape", required = true, paramLabel = "SHAPE", description = "llama-3.1-8b, qwen-2.5-14b or tiny")
    String shape;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output folder")
    Path out;

    @Option(names = "--seed", defaultValue = "1", description = "(default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--layers", paramLabel = "N", description = "number of layers (default: the shape's)")
    Integer layers;

    @Option(names = "--tokenizer", paramLabel = "DIR", description = "copy tokenizer.json / tokenizer_config.json from this folder")
    Path tokenizer;

    @Override
    public Integer call() throws Exception {
        return new SynthModelRunner(this).run();
    }
}
