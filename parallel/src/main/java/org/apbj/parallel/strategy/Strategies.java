package org.apbj.parallel.strategy;

import org.apbj.model.LayerSteps;
import org.apbj.parallel.comm.Communicator;

/** Creates the strategy of a method for one rank. */
public final class Strategies {
    private Strategies() {}

    public static Strategy create(Method method, LayerSteps steps, Communicator comm, StrategyOptions options) {
        return switch (method) {
            case RING -> new RingPrefill(steps, comm, options);
            case DENSE, STAR, APB -> new AnchoredPrefill(method, steps, comm, options);
        };
    }
}
