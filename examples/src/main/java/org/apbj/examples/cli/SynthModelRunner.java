package org.apbj.examples.cli;

import java.util.Locale;
import org.apbj.examples.report.ByteProgress;
import org.apbj.weights.SyntheticModelWriter;

/** Runs {@code synth-model}: a thin wrapper over the weights module's SyntheticModelWriter. */
final class SynthModelRunner {
    private final SynthModelCommand cmd;

    SynthModelRunner(SynthModelCommand cmd) { this.cmd = cmd; }

    int run() {
        SyntheticModelWriter.Shape shape = SyntheticModelWriter.Shape.fromId(cmd.shape);
        SyntheticModelWriter.Result r;
        try (ByteProgress progress = new ByteProgress(cmd.spec.commandLine().getErr(), "synth-model " + shape.id())) {
            r = SyntheticModelWriter.write(shape, cmd.out, cmd.seed, cmd.layers, cmd.tokenizer, progress);
        }
        cmd.spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s (%s, %d layers): %.2f GB in %.1f s (%.0f MB/s)%n", r.directory(),
                shape.id(), r.config().numLayers(), r.bytesWritten() / 1e9, r.seconds(), r.megabytesPerSecond());
        return 0;
    }
}
