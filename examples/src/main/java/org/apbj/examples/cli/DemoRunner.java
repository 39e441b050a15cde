package org.apbj.examples.cli;

/** Runs `demo`. */
final class DemoRunner {
    private final DemoCommand cmd;

    DemoRunner(DemoCommand cmd) { this.cmd = cmd; }

    int run() {
        throw new NotAvailableException("demo", "the model (org.apbj.model.Transformer) and the parallel strategies (org.apbj.parallel), not yet in this build");
    }
}
