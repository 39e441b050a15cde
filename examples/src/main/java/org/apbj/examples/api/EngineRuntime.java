package org.apbj.examples.api;

import java.util.List;

/** Starts the ranks and runs requests on them through the parallel module's strategies. */
final class EngineRuntime {
    private EngineRuntime() {}

    static List<Result> run(Apbj engine, List<TokenRequest> requests) {
        throw new NotAvailableException("running a request", "the parallel module's strategies"
                + " (org.apbj.parallel.strategy: Strategies, Strategy), not yet in this build");
    }
}
