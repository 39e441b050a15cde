package org.apbj.examples.cli;

/** Runs `synth-model`. */
final class SynthModelRunner {
    private final SynthModelCommand cmd;

    SynthModelRunner(SynthModelCommand cmd) { this.cmd = cmd; }

    int run() {
        throw new NotAvailableException("synth-model", "the weights module's SyntheticModelWriter, not yet in this build");
    }
}
