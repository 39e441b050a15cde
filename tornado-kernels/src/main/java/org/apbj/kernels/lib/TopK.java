package org.apbj.kernels.lib;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.Constant;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.KernelContext;

/**
 * Per-KV-head top-k selection over retaining-head scores and the gather of the chosen K/V rows
 * (APB-SPEC.md, phase 1 step 4).
 *
 * <p>{@link #topKRows} finds the k-th largest score exactly by a 32-step bisection on the
 * order-preserving integer key of the float bits (each step counts the keys at or above a
 * candidate with a group reduction), then compacts in index order: every row above the
 * threshold, plus the lowest-indexed rows equal to it until k are chosen. So ties go to the
 * lower index and the output is sorted ascending. NaN scores rank below −inf.
 */
public final class TopK {
    private TopK() {}

    public static final int MAX_THREADS = 1024;

    /**
     * For each KV head h (one group each): the k rows t in [excludeFirst, n) with the largest
     * {@code scores[t, h]} (F32 [n, nKv]), ascending, into {@code indices[h, 0..k)} (I32 [nKv, k]).
     * Needs 1 ≤ k ≤ n − excludeFirst. Grid: {@code Grid.groups(nKv, threads)}, threads a multiple
     * of 32, at most {@link #MAX_THREADS}.
     */
    public static void topKRows(KernelContext ctx, I32Array indices, F32Array scores, int n, int nKv,
                                int excludeFirst, int k) {
        int tid = ctx.localIdx;
        int threads = ctx.localGroupSizeX;
        int h = ctx.groupIdx;
        int[] warpCounts = ctx.allocateIntLocalArray(MAX_THREADS / 32);
        int[] counts = ctx.allocateIntLocalArray(MAX_THREADS);

        // This work-item's contiguous run of rows keeps the compaction in index order.
        int rowsPer = (n - excludeFirst + threads - 1) / threads;
        int from = excludeFirst + tid * rowsPer;
        int to = Math.min(from + rowsPer, n);

        // Bisection on the unsigned image (key ^ MIN) of the threshold, from the top bit down:
        // the largest u with count(key >= u ^ MIN) >= k is the k-th largest key.
        int u = 0;
        for (int bit = 31; bit >= 0; bit--) {
            int candidate = u | (1 << bit);
            int threshold = candidate ^ Integer.MIN_VALUE;
            int mine = 0;
            for (int t = from; t < to; t++) {
                if (key(scores.get(t * nKv + h)) >= threshold) mine++;
            }
            int total = groupSum(ctx, warpCounts, mine, tid, threads);
            if (total >= k) u = candidate;
        }
        int kth = u ^ Integer.MIN_VALUE;

        int above = 0;
        int equal = 0;
        for (int t = from; t < to; t++) {
            int key = key(scores.get(t * nKv + h));
            if (key > kth) above++;
            if (key == kth) equal++;
        }
        int totalAbove = groupSum(ctx, warpCounts, above, tid, threads);
        int needEqual = k - totalAbove;

        // Equal rows before this run, then the rows this run contributes (exclusive scans done
        // serially by work-item 0: at most 1024 additions, negligible next to the bisection).
        counts[tid] = equal;
        ctx.localBarrier();
        if (tid == 0) {
            int run = 0;
            for (int i = 0; i < threads; i++) {
                int c = counts[i];
                counts[i] = run;
                run += c;
            }
        }
        ctx.localBarrier();
        int equalBefore = counts[tid];
        int takeEqual = Math.max(0, Math.min(equal, needEqual - equalBefore));
        ctx.localBarrier();
        counts[tid] = above + takeEqual;
        ctx.localBarrier();
        if (tid == 0) {
            int run = 0;
            for (int i = 0; i < threads; i++) {
                int c = counts[i];
                counts[i] = run;
                run += c;
            }
        }
        ctx.localBarrier();
        int at = h * k + counts[tid];
        int takenEqual = 0;
        for (int t = from; t < to; t++) {
            int key = key(scores.get(t * nKv + h));
            boolean take = key > kth;
            if (key == kth && takenEqual < takeEqual) {
                take = true;
                takenEqual++;
            }
            if (take) {
                indices.set(at, t);
                at++;
            }
        }
    }

    /**
     * Gathers, per KV head h, rows {@code srcRow + indices[h, j]} of that head's slice of src K
     * and V into rows {@code dstRow + j} (j &lt; k) of dst K and V (BF16 [*, nKv·d]).
     * Grid: 1-D, any size (grid-stride loop).
     */
    public static void gatherKv(KernelContext ctx, BF16Array dstK, BF16Array dstV, int dstRow,
                                BF16Array srcK, BF16Array srcV, int srcRow, I32Array indices, int k, int nKv,
                                @Constant int headDim) {
        int kvDim = nKv * headDim;
        int total = k * kvDim;
        for (int e = ctx.globalIdx; e < total; e += ctx.globalGroupSizeX) {
            int j = e / kvDim;
            int hc = e - j * kvDim;
            int h = hc / headDim;
            int from = (srcRow + indices.get(h * k + j)) * kvDim + hc;
            int to = (dstRow + j) * kvDim + hc;
            dstK.set(to, srcK.get(from));
            dstV.set(to, srcV.get(from));
        }
    }

    /** A signed int ordered like the floats (−0 just below +0); NaN below everything. */
    static int key(float v) {
        if (v != v) return Integer.MIN_VALUE;
        int bits = Float.floatToRawIntBits(v);
        return bits ^ ((bits >> 31) & 0x7fffffff);
    }

    /** Sum of one int per work-item over the group, returned to all (two barriers). */
    static int groupSum(KernelContext ctx, int[] warpPartials, int value, int tid, int threads) {
        int w = ctx.warpReduceSum(value);
        if ((tid & 31) == 0) warpPartials[tid >> 5] = w;
        ctx.localBarrier();
        int total = 0;
        for (int i = 0; i < threads >> 5; i++) total += warpPartials[i];
        ctx.localBarrier();
        return total;
    }
}
