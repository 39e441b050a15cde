package org.apbj.kernels.runtime.java;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.KernelContext;

/** Kernels exercising the Java device: independent work-items, barriers, shared arrays, warps. */
final class JavaTestKernels {
    private JavaTestKernels() {}

    public static void saxpy(KernelContext ctx, F32Array y, F32Array x, float a, int n) {
        int i = ctx.globalIdx;
        if (i < n) y.set(i, a * x.get(i) + y.get(i));
    }

    /** Records every id a work-item sees, to check the geometry. */
    public static void ids(KernelContext ctx, I32Array out) {
        int w = ctx.globalGroupSizeX, h = ctx.globalGroupSizeY;
        int i = (ctx.globalIdz * h + ctx.globalIdy) * w + ctx.globalIdx;
        out.set(4 * i, ctx.localIdx + 100 * ctx.localIdy + 10000 * ctx.localIdz);
        out.set(4 * i + 1, ctx.groupIdx + 100 * ctx.groupIdy + 10000 * ctx.groupIdz);
        out.set(4 * i + 2, ctx.localGroupSizeX + 100 * ctx.localGroupSizeY + 10000 * ctx.localGroupSizeZ);
        out.set(4 * i + 3, 1 + out.get(4 * i + 3));
    }

    /** Tree reduction over a group through shared memory and barriers: out[group] = sum of its inputs. */
    public static void groupSum(KernelContext ctx, F32Array out, F32Array in) {
        float[] partial = ctx.allocateFloatLocalArray(256);
        int t = ctx.localIdx;
        partial[t] = in.get(ctx.globalIdx);
        ctx.localBarrier();
        for (int stride = ctx.localGroupSizeX / 2; stride > 0; stride >>= 1) {
            if (t < stride) partial[t] += partial[t + stride];
            ctx.localBarrier();
        }
        if (t == 0) out.set(ctx.groupIdx, partial[0]);
    }

    /** Reverses each group's slice through two shared arrays (a float and an int one). */
    public static void reverseInGroup(KernelContext ctx, F32Array out, F32Array in, I32Array srcIndex) {
        float[] values = ctx.allocateFloatLocalArray(64);
        int[] from = ctx.allocateIntLocalArray(64);
        int t = ctx.localIdx, n = ctx.localGroupSizeX;
        values[t] = in.get(ctx.globalIdx);
        from[t] = ctx.globalIdx;
        synchronizeThroughHelper(ctx);
        out.set(ctx.globalIdx, values[n - 1 - t]);
        srcIndex.set(ctx.globalIdx, from[n - 1 - t]);
    }

    /** A static callee holding the barrier: the scan must follow it. */
    static void synchronizeThroughHelper(KernelContext ctx) {
        ctx.localBarrier();
    }

    /** Warp exchanges: four results per work-item. */
    public static void shuffles(KernelContext ctx, I32Array out, I32Array in, int delta, int mask, int lane) {
        int v = in.get(ctx.globalIdx);
        int g = ctx.globalIdx;
        out.set(4 * g, ctx.shuffleDown(v, delta));
        out.set(4 * g + 1, ctx.shuffleXor(v, mask));
        out.set(4 * g + 2, ctx.broadcast(v, lane));
        out.set(4 * g + 3, ctx.warpReduceMax(v));
    }

    /** Per-warp float sum and max, written by lane 0 of each warp. */
    public static void warpSums(KernelContext ctx, F32Array sums, F32Array maxima, F32Array in) {
        float v = in.get(ctx.globalIdx);
        float s = ctx.warpReduceSum(v);
        float m = ctx.warpReduceMax(v);
        if (ctx.laneId() == 0) {
            int warp = ctx.globalIdx / KernelContext.WARP_SIZE;
            sums.set(warp, s);
            maxima.set(warp, m);
        }
    }

    /** Work-items 0..4 of each group return before the barrier the others reach. */
    public static void divergentBarrier(KernelContext ctx, F32Array out) {
        if (ctx.localIdx < 5) return;
        ctx.localBarrier();
        out.set(ctx.globalIdx, 1f);
    }

    static volatile CountDownLatch stuck = new CountDownLatch(0);

    /** Work-item 0 blocks (as a stuck loop would) while the others wait at the barrier. */
    public static void stuckWorkItem(KernelContext ctx, F32Array out) {
        if (ctx.localIdx == 0) {
            try {
                stuck.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        ctx.localBarrier();
        out.set(ctx.globalIdx, 1f);
    }

    public static void outOfBounds(KernelContext ctx, F32Array out) {
        out.set(ctx.globalIdx + 1, 1f);
    }

    public static void warpOnly(KernelContext ctx, F32Array out) {
        out.set(ctx.globalIdx, ctx.warpReduceSum(1f));
    }

    public static void singleGroupOnly(KernelContext ctx, F32Array out) {
        out.set(ctx.globalIdx, 1f);
        ctx.globalBarrier();
    }

    /** Rounds of write, barrier, read-neighbour, barrier: counts reads that saw a stale value. */
    public static void barrierRounds(KernelContext ctx, I32Array errors, int rounds) {
        int[] shared = ctx.allocateIntLocalArray(128);
        int t = ctx.localIdx, n = ctx.localGroupSizeX;
        int bad = 0;
        for (int r = 0; r < rounds; r++) {
            shared[t] = r * 1000 + t;
            ctx.localBarrier();
            int next = (t + 1) % n;
            if (shared[next] != r * 1000 + next) bad++;
            ctx.localBarrier();
        }
        errors.set(ctx.globalIdx, bad);
    }

    /** Warp-uniform but not group-uniform: warps past {@code n} skip the reduction. */
    public static void warpSumGuarded(KernelContext ctx, F32Array out, F32Array in, int n) {
        int warp = ctx.globalIdx / KernelContext.WARP_SIZE;
        if (warp < n) {
            float s = ctx.warpReduceSum(in.get(ctx.globalIdx));
            if (ctx.laneId() == 0) out.set(warp, s);
        }
    }

    /**
     * Warp-specialised (a named barrier among the group): warps below {@code n} reduce, the
     * others only meet them at the barrier; with {@code split} the lanes of warp 0 disagree.
     */
    public static void warpSumSpecialised(KernelContext ctx, F32Array out, F32Array in, int n, int split) {
        int warp = ctx.localIdx / KernelContext.WARP_SIZE;
        org.apbj.kernels.api.NamedBarrier.sync(ctx, 1, 64);
        if (warp < n && (warp != 0 || ctx.laneId() >= split)) {
            float s = ctx.warpReduceSum(in.get(ctx.globalIdx));
            if (ctx.laneId() == 0 || split > 0) out.set(warp, s);
        }
    }
}
