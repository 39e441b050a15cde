package org.apbj.examples.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Needle in a haystack: APB and dense attention side by side on one prompt.",
                "Default model: the embedded models/tiny-niah; prints Ground Truth, each method's",
                "Prediction and its prefill time."})
public final class DemoCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR", description = "Hugging Face model directory (default: models/tiny-niah)")
    Path model;

    @Option(names = "--heads", paramLabel = "FILE", description = "retaining heads (safetensors; default: the model's retaining_heads.safetensors)")
    Path heads;

    @Option(names = "--length", paramLabel = "N", defaultValue = "4k", converter = LengthConverter.class,
            description = "prompt length in tokens, context + query (default: ${DEFAULT-VALUE})")
    int length;

    @Option(names = "--ranks", paramLabel = "N", defaultValue = "4", description = "ranks (hosts) for APB (default: ${DEFAULT-VALUE})")
    int ranks;

    @Option(names = "--device", paramLabel = "KIND", defaultValue = "auto",
            description = "auto, cuda[:N], opencl[:P[:D]] or java[:THREADS] (default: ${DEFAULT-VALUE}: CUDA, else OpenCL, else Java)")
    String device;

    @Option(names = "--seed", defaultValue = "42", description = "seed of the pass key and its depth (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--max-new-tokens", defaultValue = "16", description = "tokens to generate (default: ${DEFAULT-VALUE})")
    int maxNewTokens;

    @Option(names = "--in-process", description = "run the ranks as threads of this JVM instead of through mpjrun")
    boolean inProcess;

    @Option(names = "--out", paramLabel = "FILE", description = "also write the results as JSON")
    Path out;

    @Override
    public Integer call() throws Exception {
        return new DemoRunner(this).run();
    }
}
