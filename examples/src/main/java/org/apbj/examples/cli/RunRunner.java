package org.apbj.examples.cli;

/** Runs `run`. */
final class RunRunner {
    private final RunCommand cmd;

    RunRunner(RunCommand cmd) { this.cmd = cmd; }

    int run() {
        throw new NotAvailableException("run", "the parallel module's launcher (MpjLauncher) and strategies, not yet in this build");
    }
}
