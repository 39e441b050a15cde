package org.apbj.examples.cli;

import org.apbj.examples.api.NotAvailableException;

/** Runs `kernels`. */
final class KernelsRunner {
    private final KernelsCommand cmd;

    KernelsRunner(KernelsCommand cmd) { this.cmd = cmd; }

    int run() {
        throw new NotAvailableException("kernels", "the kernel library (KernelLibrary.all()) and the jit's emitAll, not yet in this build");
    }
}
