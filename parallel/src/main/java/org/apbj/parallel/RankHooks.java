package org.apbj.parallel;

import org.apbj.model.LayerSteps;

/** Points where a rank's run can be changed: for tests (faults, inconsistent ranks) and tracing. */
public interface RankHooks {

    /** The application arguments rank {@code rank} uses. */
    default String[] arguments(int rank, String[] args) { return args; }

    /** The layer steps rank {@code rank} drives. */
    default LayerSteps layerSteps(int rank, LayerSteps steps) { return steps; }

    RankHooks NONE = new RankHooks() {};
}
