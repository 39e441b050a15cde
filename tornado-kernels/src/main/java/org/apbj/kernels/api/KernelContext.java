package org.apbj.kernels.api;

/**
 * A work-item's view of the launch, with TornadoVM's names. Kernels read the fields and call
 * the methods; they never write the fields (the compiler rejects it).
 *
 * <p>Sizes follow OpenCL/TornadoVM: {@code globalGroupSizeX} is the total number of work-items
 * in X, {@code localGroupSizeX} the work-items per group. Warps have {@link #WARP_SIZE} lanes;
 * warp operations and barriers must be reached by every work-item of the group (uniform
 * control flow), as on a GPU.
 */
public final class KernelContext {
    public static final int WARP_SIZE = 32;

    public int globalIdx, globalIdy, globalIdz;
    public int localIdx, localIdy, localIdz;
    public int groupIdx, groupIdy, groupIdz;
    public int globalGroupSizeX, globalGroupSizeY, globalGroupSizeZ;
    public int localGroupSizeX, localGroupSizeY, localGroupSizeZ;

    private final WorkGroup group;
    private int nextLocalSlot;

    public KernelContext(WorkGroup group) {
        this.group = group;
    }

    /** Resets per-launch state when the Java device reuses a context for another work-item. */
    public void resetLocalAllocations() { nextLocalSlot = 0; }

    /** Linear id within the group (x fastest), used for lanes and warps. */
    public int localLinearId() {
        return localIdx + localGroupSizeX * (localIdy + localGroupSizeY * localIdz);
    }

    public int laneId() { return localLinearId() % WARP_SIZE; }

    public int warpId() { return localLinearId() / WARP_SIZE; }

    /** Barrier over the work-items of this group, with shared-memory ordering. */
    public void localBarrier() { group.barrier(this); }

    /**
     * Only a group-wide barrier: GPUs offer no barrier across groups inside a kernel. The
     * compiler accepts it only in kernels launched as a single group; split the kernel otherwise.
     */
    public void globalBarrier() { group.barrier(this); }

    /** {@link NamedBarrier}'s meaning: the group's barrier {@code id} among {@code threads} work-items. */
    void namedBarrier(int id, int threads, boolean waits) { group.namedBarrier(this, id, threads, waits); }

    /** {@link WarpGroup#setMaxRegisters}'s meaning in Java: this work-item's warpgroup has a role of its own. */
    void warpSpecialised() { group.warpSpecialised(); }

    // --- shared memory; n must be a compile-time constant -------------------------------------
    public float[] allocateFloatLocalArray(int n) { return group.localFloats(nextLocalSlot++, n); }
    public int[] allocateIntLocalArray(int n) { return group.localInts(nextLocalSlot++, n); }
    /** A shared long array (e.g. the 8-byte words of {@link Mbarrier}s). */
    public long[] allocateLongLocalArray(int n) { return group.localLongs(nextLocalSlot++, n); }
    /** IEEE half values as raw bits (convert with KernelMath.halfToFloat / floatToHalf). */
    public short[] allocateHalfLocalArray(int n) { return group.localShorts(nextLocalSlot++, n); }
    /** bfloat16 values as raw bits (convert with KernelMath.bf16ToFloat / floatToBf16). */
    public short[] allocateBFloat16LocalArray(int n) { return group.localShorts(nextLocalSlot++, n); }

    // --- warp exchanges (PTX shfl.sync with a full mask) --------------------------------------
    /** Value of lane (laneId + delta); lanes past the warp's end keep their own value. */
    public float shuffleDown(float v, int delta) {
        int src = laneId() + delta;
        return group.shuffle(this, v, src < WARP_SIZE ? src : laneId());
    }
    public int shuffleDown(int v, int delta) {
        int src = laneId() + delta;
        return group.shuffle(this, v, src < WARP_SIZE ? src : laneId());
    }
    public float shuffleXor(float v, int laneMask) { return group.shuffle(this, v, (laneId() ^ laneMask) & (WARP_SIZE - 1)); }
    public int shuffleXor(int v, int laneMask) { return group.shuffle(this, v, (laneId() ^ laneMask) & (WARP_SIZE - 1)); }
    public float broadcast(float v, int lane) { return group.shuffle(this, v, lane & (WARP_SIZE - 1)); }
    public int broadcast(int v, int lane) { return group.shuffle(this, v, lane & (WARP_SIZE - 1)); }

    /** Sum over the warp, returned to every lane (butterfly: every lane sees the same order). */
    public float warpReduceSum(float v) {
        for (int m = WARP_SIZE / 2; m > 0; m >>= 1) v += shuffleXor(v, m);
        return v;
    }
    public float warpReduceMax(float v) {
        for (int m = WARP_SIZE / 2; m > 0; m >>= 1) v = Math.max(v, shuffleXor(v, m));
        return v;
    }
    public int warpReduceSum(int v) {
        for (int m = WARP_SIZE / 2; m > 0; m >>= 1) v += shuffleXor(v, m);
        return v;
    }
    public int warpReduceMax(int v) {
        for (int m = WARP_SIZE / 2; m > 0; m >>= 1) v = Math.max(v, shuffleXor(v, m));
        return v;
    }
}
