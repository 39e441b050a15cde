package org.apbj.kernels.corpus;

import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.I64Array;
import org.apbj.kernels.api.KernelContext;

/** Corpus: ids, shared memory and barriers, warp exchanges and reductions, atomics, 64-bit indexing. */
public final class ParallelKernels {
    private ParallelKernels() {}

    static final int GROUP = 64;

    /** Every id and size of a 2-D launch, packed per work-item. */
    public static void ids2d(KernelContext ctx, I32Array out) {
        int w = ctx.globalGroupSizeX;
        int slot = (ctx.globalIdy * w + ctx.globalIdx) * 8;
        out.set(slot, ctx.globalIdx);
        out.set(slot + 1, ctx.globalIdy);
        out.set(slot + 2, ctx.localIdx + 100 * ctx.localIdy);
        out.set(slot + 3, ctx.groupIdx + 100 * ctx.groupIdy);
        out.set(slot + 4, ctx.globalGroupSizeX + 1000 * ctx.globalGroupSizeY);
        out.set(slot + 5, ctx.localGroupSizeX + 1000 * ctx.localGroupSizeY);
        out.set(slot + 6, ctx.localLinearId());
        out.set(slot + 7, ctx.laneId() + 100 * ctx.warpId() + 10000 * ctx.globalIdz + 20000 * ctx.localGroupSizeZ);
    }

    /** Reverses each group's slice through shared memory. */
    public static void sharedReverse(KernelContext ctx, F32Array out, F32Array in) {
        float[] tile = ctx.allocateFloatLocalArray(GROUP);
        int l = ctx.localIdx;
        tile[l] = in.get(ctx.globalIdx);
        ctx.localBarrier();
        out.set(ctx.globalIdx, tile[GROUP - 1 - l]);
    }

    /** Tree reduction in shared memory with a barrier per level; one sum per group. */
    public static void sharedReduce(KernelContext ctx, F32Array sums, F32Array in) {
        float[] partial = ctx.allocateFloatLocalArray(GROUP);
        int l = ctx.localIdx;
        partial[l] = in.get(ctx.globalIdx);
        ctx.localBarrier();
        for (int stride = GROUP / 2; stride > 0; stride >>= 1) {
            if (l < stride) partial[l] += partial[l + stride];
            ctx.localBarrier();
        }
        if (l == 0) sums.set(ctx.groupIdx, partial[0]);
    }

    /** Shared int and bf16 (short) arrays side by side. */
    public static void sharedMixed(KernelContext ctx, I32Array out, I32Array in) {
        int[] counts = ctx.allocateIntLocalArray(GROUP);
        short[] halves = ctx.allocateBFloat16LocalArray(GROUP);
        int l = ctx.localIdx;
        counts[l] = in.get(ctx.globalIdx);
        halves[l] = (short) (in.get(ctx.globalIdx) >> 3);
        ctx.localBarrier();
        int n = (l + 1) % GROUP;
        out.set(ctx.globalIdx, counts[n] + halves[n] + counts.length);
    }

    public static void shuffles(KernelContext ctx, F32Array out, I32Array iout, F32Array in, I32Array iin) {
        int g = ctx.globalIdx;
        float v = in.get(g);
        int k = iin.get(g);
        out.set(3 * g, ctx.shuffleDown(v, 3));
        out.set(3 * g + 1, ctx.shuffleXor(v, 5));
        out.set(3 * g + 2, ctx.broadcast(v, 7));
        iout.set(3 * g, ctx.shuffleDown(k, 16));
        iout.set(3 * g + 1, ctx.shuffleXor(k, 31));
        iout.set(3 * g + 2, ctx.broadcast(k, ctx.laneId() + 1));
    }

    public static void warpReductions(KernelContext ctx, F32Array out, I32Array iout, F32Array in, I32Array iin) {
        int g = ctx.globalIdx;
        out.set(2 * g, ctx.warpReduceSum(in.get(g)));
        out.set(2 * g + 1, ctx.warpReduceMax(in.get(g)));
        iout.set(2 * g, ctx.warpReduceSum(iin.get(g)));
        iout.set(2 * g + 1, ctx.warpReduceMax(iin.get(g)));
    }

    /** Histogram with int atomics; the returned old values are not order-independent, so only counts are checked. */
    public static void histogram(KernelContext ctx, I32Array bins, I32Array in, int nbins) {
        int v = in.get(ctx.globalIdx);
        int b = ((v % nbins) + nbins) % nbins;
        bins.atomicAdd(b, 1);
    }

    /** Float atomic add of small integers: exact in any order. */
    public static void atomicSum(KernelContext ctx, F32Array sums, F32Array in) {
        int g = ctx.globalIdx;
        sums.atomicAdd(g % 4, in.get(g));
    }

    /** Long indices (get/set(long)) and 64-bit index arithmetic. */
    public static void index64(KernelContext ctx, I64Array out, F32Array in, long offset, long stride) {
        long i = ctx.globalIdx;
        long j = offset + i * stride;
        out.set(i, (long) in.get(j) * 3L + j);
    }
}
