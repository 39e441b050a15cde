package org.apbj.parallel.strategy;

import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;

/**
 * Sees intermediate results (for tests and diagnostics); every method is optional. Arrays are
 * on the strategy's device and valid only during the call.
 */
public interface LayerObserver {

    /** Hidden states after {@code layer}: rows [firstRow, firstRow + rows) of {@code x} are this rank's real tokens (local block or query), the first at global position {@code firstPosition}. */
    default void afterLayer(Phase phase, int layer, F32Array x, int firstRow, int rows, int firstPosition) {}

    /**
     * APB: the rows chosen for the passing block in {@code layer}, I32 [nKvHeads, k], as
     * indices into this rank's [A ; B] rows; {@code blockPositionOfRow0} converts: global position
     * of index i is {@code i - anchorLength + blockStart}.
     */
    default void selected(int layer, I32Array indices, int k, int anchorLength, int blockStart) {}

    LayerObserver NONE = new LayerObserver() {};
}
