package org.apbj.kernels.lib;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.KernelContext;

/**
 * The per-step bookkeeping of a decode step that runs as one recorded graph: the values that
 * change from step to step (the cache length, which is also the new token's position and its
 * cache row) live in a device int, {@code step[0]}, that the step's kernels read
 * ({@link DecodeAttention} with keysFromStep, RoPE through its positions argument, {@link #writeKv})
 * and that {@link #advance} moves on at the end of the step, so the host launches the same
 * graph again without writing anything.
 */
public final class DecodeStep {
    private DecodeStep() {}

    /**
     * Copies the new token's K and V (row 0 of {@code kRow}/{@code vRow}, RoPE applied) into row
     * {@code step[0]} of the caches, kvDim elements each. Grid: 1-D, any size (grid-stride loop).
     */
    public static void writeKv(KernelContext ctx, BF16Array kCache, BF16Array vCache, BF16Array kRow, BF16Array vRow,
                               I32Array step, int kvDim) {
        int at = step.get(0) * kvDim;
        for (int e = ctx.globalIdx; e < kvDim; e += ctx.globalGroupSizeX) {
            kCache.set(at + e, kRow.get(e));
            vCache.set(at + e, vRow.get(e));
        }
    }

    /** {@code step[0] += 1}: the step's token is now cached. One work-item. */
    public static void advance(KernelContext ctx, I32Array step) {
        if (ctx.globalIdx == 0) step.set(0, step.get(0) + 1);
    }
}
