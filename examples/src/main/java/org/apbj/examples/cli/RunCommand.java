package org.apbj.examples.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apbj.parallel.strategy.Method;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Option;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"One request end to end with a chosen method and rank count.",
                "The context comes from --prompt-file, the question from --query; the context is prefilled",
                "with --method over --ranks ranks (through mpjrun), then decoded greedily."})
public final class RunCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR", required = true, description = "Hugging Face model directory")
    Path model;

    @Option(names = "--heads", paramLabel = "FILE", description = "retaining heads (safetensors); required for apb unless the model directory has retaining_heads.safetensors")
    Path heads;

    @Option(names = "--method", defaultValue = "apb", converter = MethodConverter.class,
            description = "apb, star, ring or dense (default: ${DEFAULT-VALUE})")
    Method method;

    @Option(names = "--ranks", paramLabel = "N", defaultValue = "4", description = "ranks (default: ${DEFAULT-VALUE})")
    int ranks;

    @Option(names = "--prompt-file", paramLabel = "FILE", required = true, description = "the context (the long document), UTF-8 text")
    Path promptFile;

    @Option(names = "--query", paramLabel = "TEXT", description = "the question asked after the context (default: none)")
    String query = "";

    @Option(names = "--answer-prefix", paramLabel = "TEXT", description = "text the assistant turn starts with (default: none)")
    String answerPrefix = "";

    @Option(names = "--raw", description = "no chat format: context and query are fed exactly as given")
    boolean raw;

    @Option(names = "--max-new-tokens", defaultValue = "64", description = "(default: ${DEFAULT-VALUE})")
    int maxNewTokens;

    @Option(names = "--anchor-length", paramLabel = "N", description = "APB/Star anchor length l_a (default: B/4 for APB)")
    Integer anchorLength;

    @Option(names = "--passing-length", paramLabel = "N", description = "APB passing length l_p (default: B/8)")
    Integer passingLength;

    @Option(names = "--device", paramLabel = "KIND", defaultValue = "auto", description = "auto, cuda[:N], opencl[:P[:D]] or java[:THREADS] (default: ${DEFAULT-VALUE}: CUDA, else OpenCL, else Java)")
    String device;

    @Option(names = "--in-process", description = "run the ranks as threads of this JVM instead of through mpjrun")
    boolean inProcess;

    @Option(names = "--out", paramLabel = "FILE", description = "also write the result as JSON")
    Path out;

    @Override
    public Integer call() throws Exception {
        return new RunRunner(this).run();
    }
}
