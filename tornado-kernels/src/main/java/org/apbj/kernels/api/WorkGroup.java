package org.apbj.kernels.api;

/**
 * What the work-items of one group share when a kernel runs as plain Java: barriers, shared
 * ("local") arrays and warp exchanges. The Java device implements it; compiled kernels never
 * see it (the compiler maps the KernelContext calls to device instructions).
 */
public interface WorkGroup {
    /** Waits until every work-item of the group has arrived. */
    void barrier(KernelContext ctx);

    /**
     * Arrives on the group's named barrier {@code id} (1..15) that completes when {@code threads}
     * work-items arrived; waits for that when {@code waits} (see {@link NamedBarrier}).
     */
    void namedBarrier(KernelContext ctx, int id, int threads, boolean waits);

    /**
     * A work-item gave its warpgroup a role of its own ({@link WarpGroup#setMaxRegisters}): warps
     * may then reach different warp operations (checked per warp, not per group), as after a
     * named barrier. Nothing to do where warp operations are not checked.
     */
    default void warpSpecialised() {}

    /** The group's shared array for the {@code slot}-th allocation of the kernel. */
    float[] localFloats(int slot, int length);
    int[] localInts(int slot, int length);
    short[] localShorts(int slot, int length);
    long[] localLongs(int slot, int length);

    /** Returns the value {@code value} of lane {@code srcLane} of the caller's warp. */
    float shuffle(KernelContext ctx, float value, int srcLane);
    int shuffle(KernelContext ctx, int value, int srcLane);
}
