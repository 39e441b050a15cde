package org.apbj.examples.cli;

/** Runs `bench`. */
final class BenchRunner {
    private final BenchCommand cmd;

    BenchRunner(BenchCommand cmd) { this.cmd = cmd; }

    int run() {
        throw new NotAvailableException("bench", "the parallel strategies with timing breakdown, not yet in this build");
    }
}
