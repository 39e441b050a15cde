package org.apbj.kernels.lib;

import org.apbj.kernels.api.Constant;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.KernelMath;
import org.apbj.kernels.api.Unroll;

/**
 * The merge of {@link DecodeAttention}'s key splits, built for the few (query row, head) pairs
 * of a decode call: the same result as {@link Attention#mergeSplits} (weights e^(lse_z − max),
 * out = Σ w_z·out_z / Σ w_z, lse = max + log Σ w_z; splits that saw no key weigh 0, a row no
 * split saw gets out = 0 and lse = −inf), summed in another order.
 *
 * <p>Why a second merge: a decode call has only nq·nHeads pairs (32 for one Llama-3-8B token) and
 * some 33 splits, so the elementwise merge is a chain of dependent L2 round trips per work-item
 * (the max over the splits, then the weighted sum) — a fixed cost of every call, large next to the
 * 35 µs a 32K cache streams in. Here one warp takes one pair: its lanes load the splits' lse at
 * once (split z in lane z % 32), the max and the weight sum are warp reductions, and the weighted
 * sum over the splits issues the loads of {@link #BATCH} splits before using any of them.
 *
 * <p>Grid: 1-D, {@code ceil(nq·nHeads / WARPS)·THREADS} work-items, {@link #THREADS} per group.
 * At most {@link #MAX_SPLITS} splits.
 */
public final class DecodeMerge {
    private DecodeMerge() {}

    public static final int WARPS = 4;
    public static final int THREADS = 32 * WARPS;
    /** Splits one lane's lse loads cover (two per lane). */
    public static final int MAX_SPLITS = 64;
    /** Splits whose partial outputs a lane loads before it adds any of them. */
    static final int BATCH = 16;

    public static void merge(KernelContext ctx, F32Array out, F32Array lse, F32Array partOut, F32Array partLse,
                             int splits, int nq, int nHeads, @Constant int headDim) {
        int lane = ctx.laneId();
        int rowHeads = nq * nHeads;
        int total = rowHeads * headDim;
        int pair = ctx.groupIdx * WARPS + (ctx.localIdx >> 5);
        // A warp past the last pair works on the last one and writes nothing: every lane reaches every shuffle.
        int rh = KernelMath.min(pair, rowHeads - 1);
        float l0 = lane < splits ? partLse.get(lane * rowHeads + rh) : Float.NEGATIVE_INFINITY;
        float l1 = lane + 32 < splits ? partLse.get((lane + 32) * rowHeads + rh) : Float.NEGATIVE_INFINITY;
        float max = ctx.warpReduceMax(KernelMath.max(l0, l1));
        // max = -inf: no split saw a key, every weight is 0 (exp(-inf - -inf) would be NaN)
        float w0 = l0 == Float.NEGATIVE_INFINITY ? 0.0f : KernelMath.exp(l0 - max);
        float w1 = l1 == Float.NEGATIVE_INFINITY ? 0.0f : KernelMath.exp(l1 - max);
        float weights = ctx.warpReduceSum(w0 + w1);

        float[] acc = new float[DecodeAttention.MAX_HEAD_DIM / 32];
        zero(acc, headDim);
        int column = rh * headDim + lane;
        for (int z0 = 0; z0 < splits; z0 += BATCH) {
            addBatch(ctx, acc, partOut, z0, splits, w0, w1, total, column, headDim);
        }
        if (pair < rowHeads) {
            store(out, acc, column, weights, headDim);
            if (lane == 0) lse.set(rh, weights > 0.0f ? max + KernelMath.log(weights) : Float.NEGATIVE_INFINITY);
        }
    }

    @Unroll
    private static void zero(float[] acc, int headDim) {
        for (int c = 0; c < headDim / 32; c++) acc[c] = 0.0f;
    }

    /**
     * acc[c] += w_z · out_z[column + 32c] for the splits z0 .. z0 + BATCH - 1: all loads first, then
     * the adds. A split past the last loads the last split's row with weight 0 (adds exactly 0:
     * partial outputs are finite), so no load waits behind a branch.
     */
    @Unroll
    private static void addBatch(KernelContext ctx, float[] acc, F32Array partOut, int z0, int splits, float w0,
                                 float w1, int total, int column, int headDim) {
        float[] part = new float[BATCH * (DecodeAttention.MAX_HEAD_DIM / 32)];
        int last = splits - 1;
        for (int j = 0; j < BATCH; j++) {
            int at = KernelMath.min(z0 + j, last) * total + column;
            for (int c = 0; c < headDim / 32; c++) part[j * 4 + c] = partOut.get(at + 32 * c);
        }
        for (int j = 0; j < BATCH; j++) {
            int z = z0 + j;
            // split z's weight lives in lane z % 32 (w0 for z < 32, w1 above)
            float w = ctx.broadcast(z < 32 ? w0 : w1, z & 31);
            if (z > last) w = 0.0f;
            for (int c = 0; c < headDim / 32; c++) acc[c] = KernelMath.fma(w, part[j * 4 + c], acc[c]);
        }
    }

    @Unroll
    private static void store(F32Array out, float[] acc, int column, float weights, int headDim) {
        for (int c = 0; c < headDim / 32; c++) out.set(column + 32 * c, weights > 0.0f ? acc[c] / weights : 0.0f);
    }
}
