package org.apbj.kernels.runtime.java;

import java.util.ArrayList;
import java.util.List;

import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.WorkGroup;

/**
 * One work-group whose work-items run as cooperating threads: a group barrier, shared arrays
 * handed out by allocation slot (every work-item allocates in the same order, so the n-th
 * allocation of each is the same array), and warp shuffles through per-warp exchange slots.
 */
final class CooperativeGroup implements WorkGroup {
    private final String kernelName;
    private final int size;
    private final GroupBarrier barrier;
    private final NamedBarriers named;
    private final Warp[] warps;
    /** Per work-item: which of the two exchange buffers its next shuffle uses. */
    private final byte[] shuffleParity;
    /** Per work-item: warp operations reached, checked for group uniformity at the end. */
    private final int[] warpOps;
    private final List<Object> shared = new ArrayList<>();
    /** Whether a work-item used a named barrier or setmaxnreg: the kernel is warp-specialised, not for OpenCL. */
    private volatile boolean warpSpecialised;

    /** A warp's exchange: double-buffered so one barrier per shuffle suffices. */
    private static final class Warp {
        final long[][] slots = new long[2][KernelContext.WARP_SIZE];
        final GroupBarrier barrier;

        Warp(GroupBarrier barrier) { this.barrier = barrier; }
    }

    CooperativeGroup(String kernelName, String groupName, int size, long timeoutNanos) {
        this.kernelName = kernelName;
        this.size = size;
        this.barrier = new GroupBarrier("barrier of group " + groupName + " of " + kernelName, size, timeoutNanos);
        this.named = new NamedBarriers("group " + groupName + " of " + kernelName, size, timeoutNanos);
        int warpCount = (size + KernelContext.WARP_SIZE - 1) / KernelContext.WARP_SIZE;
        this.warps = new Warp[warpCount];
        for (int w = 0; w < warpCount; w++) {
            int lanes = Math.min(KernelContext.WARP_SIZE, size - w * KernelContext.WARP_SIZE);
            warps[w] = new Warp(new GroupBarrier("warp operation of warp " + w + " of group " + groupName + " of "
                    + kernelName, lanes, timeoutNanos));
        }
        this.shuffleParity = new byte[size];
        this.warpOps = new int[size];
    }

    int size() { return size; }

    @Override
    public void barrier(KernelContext ctx) { barrier.await(describe(ctx)); }

    @Override
    public void warpSpecialised() { warpSpecialised = true; }

    @Override
    public void namedBarrier(KernelContext ctx, int id, int threads, boolean waits) {
        warpSpecialised = true;
        named.arrive(describe(ctx), id, threads, waits);
    }

    @Override
    public float[] localFloats(int slot, int length) { return slotArray(slot, float[].class, length); }

    @Override
    public int[] localInts(int slot, int length) { return slotArray(slot, int[].class, length); }

    @Override
    public short[] localShorts(int slot, int length) { return slotArray(slot, short[].class, length); }

    @Override
    public long[] localLongs(int slot, int length) { return slotArray(slot, long[].class, length); }

    private synchronized <T> T slotArray(int slot, Class<T> type, int length) {
        if (length < 0) throw new IllegalArgumentException(kernelName + ": shared array of negative length " + length);
        while (shared.size() <= slot) shared.add(null);
        Object a = shared.get(slot);
        if (a == null) {
            a = java.lang.reflect.Array.newInstance(type.getComponentType(), length);
            shared.set(slot, a);
        } else if (a.getClass() != type || java.lang.reflect.Array.getLength(a) != length) {
            throw new IllegalStateException(kernelName + ": shared allocation #" + slot + " is a "
                    + type.getComponentType() + "[" + length + "] in one work-item but a "
                    + a.getClass().getComponentType() + "[" + java.lang.reflect.Array.getLength(a)
                    + "] in another: every work-item must allocate the same shared arrays in the same order");
        }
        return type.cast(a);
    }

    @Override
    public float shuffle(KernelContext ctx, float value, int srcLane) {
        return Float.intBitsToFloat((int) exchange(ctx, Float.floatToRawIntBits(value), srcLane));
    }

    @Override
    public int shuffle(KernelContext ctx, int value, int srcLane) { return (int) exchange(ctx, value, srcLane); }

    private long exchange(KernelContext ctx, long bits, int srcLane) {
        int id = ctx.localLinearId();
        Warp warp = warps[id / KernelContext.WARP_SIZE];
        int lane = id % KernelContext.WARP_SIZE;
        warpOps[id]++;
        int parity = shuffleParity[id];
        shuffleParity[id] = (byte) (parity ^ 1);
        long[] slots = warp.slots[parity];
        slots[lane] = bits;
        // The barrier's lock orders the writes before the reads; the other buffer is written
        // next, and this one again only after everyone passed the next barrier (after reading).
        warp.barrier.await(describe(ctx));
        return slots[srcLane];
    }

    /** The work-item returned from the kernel (normally or not). */
    void exited(KernelContext ctx) {
        String who = describe(ctx);
        barrier.exit(who);
        warps[ctx.localLinearId() / KernelContext.WARP_SIZE].barrier.exit(who);
    }

    /** A work-item failed: wake everyone waiting so the group ends. */
    void abort(RuntimeException failure) {
        barrier.abort(failure);
        named.abort(failure);
        for (Warp w : warps) w.barrier.abort(failure);
    }

    /**
     * After every work-item returned: the KernelContext contract asks warp operations to be
     * reached by every work-item of the group (OpenCL emulates them with group barriers), which
     * warps running alone cannot notice. A group that used named barriers is warp-specialised
     * (its warpgroups run different code, and OpenCL refuses such kernels), so there only the
     * hardware's rule holds: every lane of a warp reaches the same warp operations. Returns the
     * violation, or null.
     */
    DivergentBarrierException nonUniformWarpOps(String groupName) {
        int span = warpSpecialised ? KernelContext.WARP_SIZE : size;
        for (int first = 0; first < size; first += span) {
            int min = first, max = first;
            for (int i = first + 1; i < Math.min(size, first + span); i++) {
                if (warpOps[i] < warpOps[min]) min = i;
                if (warpOps[i] > warpOps[max]) max = i;
            }
            if (warpOps[min] == warpOps[max]) continue;
            if (warpSpecialised) {
                return new DivergentBarrierException("in group " + groupName + ", work-item " + max + " (linear id) reached "
                        + warpOps[max] + " warp operations but work-item " + min + " of the same warp reached "
                        + warpOps[min] + ": every lane of a warp must reach the same shuffles, broadcasts and warp"
                        + " reductions. Make the condition around them uniform over the warp");
            }
            return new DivergentBarrierException("in group " + groupName + ", work-item " + max + " (linear id) reached "
                    + warpOps[max] + " warp operations but work-item " + min + " reached " + warpOps[min]
                    + ": shuffles, broadcasts and warp reductions must be reached by every work-item of the group, not only"
                    + " of the warp (KernelContext contract; the OpenCL backend emulates them with group barriers)."
                    + " Make the condition around them uniform over the group, e.g. compute with a neutral value instead of skipping");
        }
        return null;
    }

    /** The first failure any of the group's barriers recorded (divergence, timeout), or null. */
    RuntimeException failure() {
        RuntimeException e = barrier.cause();
        if (e == null) e = named.cause();
        for (int w = 0; e == null && w < warps.length; w++) e = warps[w].barrier.cause();
        return e;
    }

    static String describe(KernelContext ctx) {
        return "work-item (" + ctx.localIdx + "," + ctx.localIdy + "," + ctx.localIdz + ") of group ("
                + ctx.groupIdx + "," + ctx.groupIdy + "," + ctx.groupIdz + ")";
    }
}
