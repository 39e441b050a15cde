package org.apbj.examples.cli;

/** Runs `eval`. */
final class EvalRunner {
    private final EvalCommand cmd;

    EvalRunner(EvalCommand cmd) { this.cmd = cmd; }

    int run() {
        throw new NotAvailableException("eval", "the model and the parallel strategies, not yet in this build");
    }
}
