package org.apbj.examples.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apbj.examples.report.ByteProgress;
import org.apbj.weights.SyntheticModelWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code synth-model}: the weights module's SyntheticModelWriter. */
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
    public Integer call() {
        if (layers != null) Flags.atLeast(spec, "--layers", layers, 1);
        SyntheticModelWriter.Shape s = SyntheticModelWriter.Shape.fromId(shape);
        SyntheticModelWriter.Result r;
        try (ByteProgress progress = new ByteProgress(spec.commandLine().getErr(), "synth-model " + s.id())) {
            r = SyntheticModelWriter.write(s, out, seed, layers, tokenizer, progress);
        }
        spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s (%s, %d layers): %.2f GB in %.1f s (%.0f MB/s)%n", r.directory(),
                s.id(), r.config().numLayers(), r.bytesWritten() / 1e9, r.seconds(), r.megabytesPerSecond());
        return 0;
    }
}
