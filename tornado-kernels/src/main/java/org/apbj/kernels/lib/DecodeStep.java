package org.apbj.kernels.lib;

import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.KernelContext;

/**
 * The per-step bookkeeping of a decode step that runs as one recorded graph: the values that
 * change from step to step (the cache length, which is also the new token's position and its
 * cache row) live in a device int, {@code step[0]}, that the step's kernels read
 * ({@link DecodeAttention} with keysFromStep, {@link Matvec#matvecQkvRope}, which writes the new
 * token's K and V into that cache row)
 * and that {@link #advance} moves on at the end of the step, so the host launches the same
 * graph again without writing anything.
 */
public final class DecodeStep {
    private DecodeStep() {}

    /** {@code step[0] += 1}: the step's token is now cached. One work-item. */
    public static void advance(KernelContext ctx, I32Array step) {
        if (ctx.globalIdx == 0) step.set(0, step.get(0) + 1);
    }
}
