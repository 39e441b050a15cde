package org.apbj.kernels.lib;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.Constant;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.Unroll;

/**
 * Per-KV-head top-k selection over retaining-head scores and the gather of the chosen K/V rows
 * (APB-SPEC.md, phase 1 step 4).
 *
 * <p>{@link #topKRows} finds the k-th largest score exactly by a radix select on the
 * order-preserving integer key of the float bits: {@link #PASSES} passes over the rows, each
 * fixing the next {@link #RADIX_BITS} bits of the k-th key from the top (every work-item counts,
 * for each of the 15 candidate digits, its rows in the current bucket at or above it; one group
 * reduction per pass). Then it compacts in index order: every row above the k-th key, plus the
 * lowest-indexed rows equal to it until k are chosen. So ties go to the lower index and the
 * output is sorted ascending. NaN scores rank below −inf. Eight passes read the scores where a
 * bit-by-bit bisection read them 32 times.
 */
public final class TopK {
    private TopK() {}

    public static final int MAX_THREADS = 1024;
    /** Bits of the k-th key fixed per pass. */
    static final int RADIX_BITS = 4;
    static final int DIGITS = 1 << RADIX_BITS;
    static final int PASSES = 32 / RADIX_BITS;
    private static final int MAX_WARPS = MAX_THREADS / 32;

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
        int lane = tid & 31;
        int warp = tid >> 5;
        int warps = threads >> 5;
        int h = ctx.groupIdx;
        // Two buffers of [digit][warp] partial counts, used by alternate passes: a warp that races
        // ahead into the next pass writes the other buffer while slower warps still read this one.
        int[] partials = ctx.allocateIntLocalArray(2 * DIGITS * MAX_WARPS);
        int[] scan = ctx.allocateIntLocalArray(MAX_WARPS);
        int[] counts = new int[DIGITS];   // counts[j], j ≥ 1: this work-item's bucket rows whose digit is ≥ j
        int[] totals = new int[DIGITS];

        // The unsigned image (key ^ MIN) of the k-th largest key, fixed from the top bits down; the
        // bucket is the rows whose image agrees with it on the bits fixed so far, and `above` counts
        // the rows whose image is above the bucket (all of them in the top k).
        int prefix = 0;
        int above = 0;
        for (int pass = 0; pass < PASSES; pass++) {
            int shift = 32 - RADIX_BITS * (pass + 1);
            int bucketMask = pass == 0 ? 0 : -1 << (shift + RADIX_BITS);
            clear(counts);
            for (int t = excludeFirst + tid; t < n; t += threads) {   // strided: a warp reads neighbouring rows
                int u = key(scores.get(t * nKv + h)) ^ Integer.MIN_VALUE;
                if ((u & bucketMask) == prefix) countDigit(counts, (u >>> shift) & (DIGITS - 1));
            }
            int buffer = (pass & 1) * DIGITS * MAX_WARPS;
            publish(ctx, partials, buffer, counts, lane, warp);
            ctx.localBarrier();
            sumWarps(ctx, partials, buffer, totals, lane, warps);
            // The largest digit j with above + (bucket rows at or above j) ≥ k: counts fall as j grows.
            int digit = chosenDigit(totals, above, k);
            above += digit == DIGITS - 1 ? 0 : totalAt(totals, digit + 1);   // bucket rows above the chosen digit
            prefix |= digit << shift;
        }
        int kth = prefix ^ Integer.MIN_VALUE;
        int needEqual = k - above;

        // Compaction: each work-item takes a contiguous run of rows, which keeps the output in index order.
        int rowsPer = (n - excludeFirst + threads - 1) / threads;
        int from = excludeFirst + tid * rowsPer;
        int to = Math.min(from + rowsPer, n);
        int over = 0;
        int equal = 0;
        for (int t = from; t < to; t++) {
            int key = key(scores.get(t * nKv + h));
            if (key > kth) over++;
            if (key == kth) equal++;
        }
        int equalBefore = exclusiveScan(ctx, scan, equal, lane, warp, warps);
        int takeEqual = Math.max(0, Math.min(equal, needEqual - equalBefore));
        int at = h * k + exclusiveScan(ctx, scan, over + takeEqual, lane, warp, warps);
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

    @Unroll
    private static void clear(int[] counts) {
        for (int j = 0; j < DIGITS; j++) counts[j] = 0;
    }

    /** One bucket row with this digit: it is at or above candidates 1..digit. */
    @Unroll
    private static void countDigit(int[] counts, int digit) {
        for (int j = 1; j < DIGITS; j++) counts[j] += digit >= j ? 1 : 0;
    }

    /** Each warp's sums of counts[1..15] into partials[buffer + j·MAX_WARPS + warp]. */
    @Unroll
    private static void publish(KernelContext ctx, int[] partials, int buffer, int[] counts, int lane, int warp) {
        for (int j = 1; j < DIGITS; j++) {
            int s = ctx.warpReduceSum(counts[j]);
            if (lane == 0) partials[buffer + j * MAX_WARPS + warp] = s;
        }
    }

    /** totals[j] = the group's count for candidate j, in every warp (each adds the warps' partials itself). */
    @Unroll
    private static void sumWarps(KernelContext ctx, int[] partials, int buffer, int[] totals, int lane, int warps) {
        for (int j = 1; j < DIGITS; j++) {
            totals[j] = ctx.warpReduceSum(lane < warps ? partials[buffer + j * MAX_WARPS + lane] : 0);
        }
    }

    /** The largest j ≥ 0 with above + totals[j] ≥ k (j = 0 always qualifies: the bucket holds the k-th key). */
    @Unroll
    private static int chosenDigit(int[] totals, int above, int k) {
        int digit = 0;
        for (int j = 1; j < DIGITS; j++) if (above + totals[j] >= k) digit = j;
        return digit;
    }

    /** totals[j] for a run-time j in [1, DIGITS) without indexing the private array by it (it stays in registers). */
    @Unroll
    private static int totalAt(int[] totals, int j) {
        int v = 0;
        for (int i = 1; i < DIGITS; i++) if (i == j) v = totals[i];
        return v;
    }

    /**
     * The sum of {@code value} over the work-items before this one in the group (a warp scan by
     * shuffles, then a scan of the warp totals in shared memory; barriers before and after, so the
     * shared array can be reused at once).
     */
    static int exclusiveScan(KernelContext ctx, int[] warpTotals, int value, int lane, int warp, int warps) {
        int inclusive = value;
        for (int d = 1; d < 32; d <<= 1) {
            int y = ctx.broadcast(inclusive, (lane - d) & 31);
            if (lane >= d) inclusive += y;
        }
        ctx.localBarrier();
        if (lane == 31) warpTotals[warp] = inclusive;
        ctx.localBarrier();
        int mine = lane < warps ? warpTotals[lane] : 0;
        int warpsInclusive = mine;
        for (int d = 1; d < 32; d <<= 1) {
            int y = ctx.broadcast(warpsInclusive, (lane - d) & 31);
            if (lane >= d) warpsInclusive += y;
        }
        int warpOffset = ctx.broadcast(warpsInclusive, warp) - ctx.broadcast(mine, warp);
        return warpOffset + inclusive - value;
    }
}
