package org.apbj.kernels.lib;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.Constant;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I64Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.KernelMath;
import org.apbj.kernels.api.TensorCore;
import org.apbj.kernels.api.Unroll;
import org.apbj.kernels.api.WideLoad;

/**
 * {@link Matvec}'s products for 2 to {@link Matvec#MAX_ROWS} rows on tensor cores
 * ({@link TensorCore#mmaBf16}, mma.m16n8k16): {@link Matvec} reads x once per weight row pair,
 * so at eight rows every 16 bytes of weights bring 256 bytes of x through L1, which bounds it
 * at 0.2-0.4 of the copy bandwidth; here x is read once per 16 weight rows.
 * <ul>
 *   <li>A warp owns a tile of 16 weight rows (the mma's A, M = 16) against all rows of x (its
 *       B, N = 8 token rows; B columns past {@code rows} repeat the last row of x and their
 *       outputs are not stored: a column of the product depends on its own column of B only).</li>
 *   <li>Fragments come straight from global memory in 16-byte loads. A dot product does not
 *       change when the same permutation of k is applied to both operands, so within each
 *       32-wide step of k lane (g, t) = (lane / 4, lane % 4) loads the eight bf16 at k offset
 *       8t of weight rows g and g + 8 (one 16-byte load each) and the eight fp32 of x row g at
 *       the same offset (two 16-byte loads), and feeds them as the k pairs (t, t + 4) of two
 *       successive mma's: elements 8t..8t+3 to the first, 8t+4..8t+7 to the second. Four lanes
 *       read 64 contiguous bytes of each weight row; {@link #UNROLL} steps are loaded before
 *       the first mma.</li>
 *   <li>k is split across the warps of a group as in {@link Matvec#matvecSplit}: warp w takes
 *       tile slot w / split and part w % split, {@code ceil(steps / split)} steps of 32; every
 *       warp of a group runs the same number of steps and mma's (the OpenCL emulation of the
 *       mma exchanges through the group's shared buffer, so every work-item must reach each
 *       one); steps past k read the last word and count as zeros. The parts' 16×8 tiles meet in
 *       shared memory and are added in part order after a barrier: deterministic run to run.</li>
 * </ul>
 * Numerics: x is rounded to bf16 (round to nearest even, {@link TensorCore#packBf16}), the
 * rounding the prefill GEMMs apply to their activations ({@link GemmTc} packs x the same way;
 * the bf16-input GEMMs read x that {@link RmsNorm#rmsNormBf16Wide} packed the same way or that
 * {@link KernelMath#floatToBf16} rounded, also to nearest even; only a NaN's payload can
 * differ), so few-row products and prefill agree on x; products of bf16 values are exact and
 * accumulate in fp32, in the tensor cores' order. The fp32 {@link Matvec} keeps x in fp32: the
 * two differ by the rounding of x (relative 2^-9 per element).
 *
 * <p>Grid: 1-D, {@code Grid.groups(ceil(tiles / (WARPS / split)), THREADS)} with tiles =
 * {@code ceil(n / 16)} ({@link #matvecTcSwiGlu}: {@code ceil(n / 8)}); split 1, 2, 4 or 8; k a
 * multiple of 8.
 */
public final class MatvecTc {
    private MatvecTc() {}

    public static final int THREADS = Matvec.THREADS;
    public static final int WARPS = Matvec.WARPS;
    /** Weight rows a warp owns (the mma's M). */
    public static final int TILE_ROWS = TensorCore.M;
    /** k per step: four lanes of eight bf16 each. */
    public static final int STEP = 32;
    /** 16-byte weight words per row in a step. */
    static final int STEP_WORDS = STEP / Matvec.PER_LOAD;
    /** Steps a lane loads before it multiplies (2·4·16 bytes of weights in flight per lane). */
    public static final int UNROLL = 4;
    /** Partial sums a warp hands over: its 16×8 tile, [token][row]. */
    static final int TILE = TensorCore.M * TensorCore.N;

    /** {@code y[yRow0 + r, :] (+)= x[xRow0 + r, :] · Wᵀ (+ bias)} for r &lt; rows, fp32 output. */
    public static void matvecTc(KernelContext ctx, F32Array y, int yRow0, F32Array x, int xRow0, I64Array w,
                                BF16Array bias, int n, int k, int rows, int split, @Constant boolean hasBias,
                                @Constant boolean accumulate) {
        float[] partial = ctx.allocateFloatLocalArray(WARPS * TILE);
        int slots = WARPS / split;
        int row = (ctx.groupIdx * slots + ctx.warpId() / split) * TILE_ROWS + (ctx.laneId() >> 2);
        float[] acc = new float[4];
        dot(ctx, acc, x, xRow0, w, KernelMath.min(row, n - 1), w, KernelMath.min(row + 8, n - 1), k, rows, split);
        publish(ctx, acc, partial);
        ctx.localBarrier();
        for (int o = ctx.localIdx; o < slots * TILE; o += THREADS) {
            int slot = o / TILE, e = o % TILE;
            int tok = e / TILE_ROWS;
            int c = (ctx.groupIdx * slots + slot) * TILE_ROWS + e % TILE_ROWS;
            float sum = sumParts(partial, slot * split * TILE + e, split);
            if (c < n && tok < rows) {
                int at = (yRow0 + tok) * n + c;
                float add = 0.0f;   // bias and residual summed first: one rounding less
                if (hasBias) add = bias.getFloat(c);
                if (accumulate) add += y.get(at);
                y.set(at, (hasBias || accumulate) ? sum + add : sum);
            }
        }
    }

    /** As {@link #matvecTc} into bf16 rows (rounded once), no accumulate. */
    public static void matvecTcBf16Out(KernelContext ctx, BF16Array y, int yRow0, F32Array x, int xRow0, I64Array w,
                                       BF16Array bias, int n, int k, int rows, int split, @Constant boolean hasBias) {
        float[] partial = ctx.allocateFloatLocalArray(WARPS * TILE);
        int slots = WARPS / split;
        int row = (ctx.groupIdx * slots + ctx.warpId() / split) * TILE_ROWS + (ctx.laneId() >> 2);
        float[] acc = new float[4];
        dot(ctx, acc, x, xRow0, w, KernelMath.min(row, n - 1), w, KernelMath.min(row + 8, n - 1), k, rows, split);
        publish(ctx, acc, partial);
        ctx.localBarrier();
        for (int o = ctx.localIdx; o < slots * TILE; o += THREADS) {
            int slot = o / TILE, e = o % TILE;
            int tok = e / TILE_ROWS;
            int c = (ctx.groupIdx * slots + slot) * TILE_ROWS + e % TILE_ROWS;
            float sum = sumParts(partial, slot * split * TILE + e, split);
            if (c < n && tok < rows) y.setFloat((yRow0 + tok) * n + c, hasBias ? sum + bias.getFloat(c) : sum);
        }
    }

    /**
     * {@code h[r, c] = silu(x_r · gate_c) · (x_r · up_c)} for r &lt; rows: a warp's tile holds the
     * gate rows of eight outputs (A rows 0-7) and their up rows (A rows 8-15), so both sums of an
     * output meet in one tile. The same values as {@link #matvecTc} for gate and up followed by
     * {@link SwiGlu#swiGlu}, up to the accumulation order.
     */
    public static void matvecTcSwiGlu(KernelContext ctx, F32Array h, F32Array x, int xRow0, I64Array gate, I64Array up,
                                      int n, int k, int rows, int split) {
        float[] partial = ctx.allocateFloatLocalArray(WARPS * TILE);
        int slots = WARPS / split;
        int half = TILE_ROWS / 2;
        int c = (ctx.groupIdx * slots + ctx.warpId() / split) * half + (ctx.laneId() >> 2);
        float[] acc = new float[4];
        dot(ctx, acc, x, xRow0, gate, KernelMath.min(c, n - 1), up, KernelMath.min(c, n - 1), k, rows, split);
        publish(ctx, acc, partial);
        ctx.localBarrier();
        for (int o = ctx.localIdx; o < slots * TILE / 2; o += THREADS) {
            int slot = o / (TILE / 2), e = o % (TILE / 2);
            int tok = e / half;
            int out = (ctx.groupIdx * slots + slot) * half + e % half;
            int at = slot * split * TILE + tok * TILE_ROWS + e % half;
            float g = sumParts(partial, at, split);
            float u = sumParts(partial, at + half, split);
            if (out < n && tok < rows) h.set(tok * n + out, KernelMath.silu(g) * u);
        }
    }

    /**
     * This warp's part of the 16×8 tile: A rows g (row rowLo of wLo) and g + 8 (row rowHi of wHi)
     * against x rows 0..rows-1 from xRow0, over its part of the steps, into acc (the mma's D
     * fragment).
     */
    private static void dot(KernelContext ctx, float[] acc, F32Array x, int xRow0, I64Array wLo, int rowLo,
                            I64Array wHi, int rowHi, int k, int rows, int split) {
        int lane = ctx.laneId();
        int t = lane & 3;
        int words = k / Matvec.PER_LOAD;
        int baseLo = rowLo * words + t;   // this lane's word of step 0
        int baseHi = rowHi * words + t;
        int xAt = (xRow0 + KernelMath.min(lane >> 2, rows - 1)) * k + Matvec.PER_LOAD * t;
        int steps = (words + STEP_WORDS - 1) / STEP_WORDS;
        int per = (steps + split - 1) / split;
        int first = (ctx.warpId() % split) * per;
        // steps every part of the group may run unchecked (whole steps below k), in whole unrolled chunks
        int unchecked = KernelMath.max(0, KernelMath.min(per, words / STEP_WORDS - (split - 1) * per)) / UNROLL * UNROLL;
        clear(acc);
        for (int i = 0; i < unchecked; i += UNROLL) {
            chunk(ctx, acc, x, xAt, wLo, baseLo, wHi, baseHi, STEP_WORDS * (first + i));
        }
        for (int i = unchecked; i < per; i++) {
            int word = STEP_WORDS * (first + i) + t;   // this lane's word; past the row's end it counts as zeros
            int off = KernelMath.min(word, words - 1) - t;
            stepChecked(ctx, acc, x, xAt, wLo, baseLo, wHi, baseHi, off, word < words);
        }
    }

    @Unroll
    private static void clear(float[] acc) {
        for (int i = 0; i < 4; i++) acc[i] = 0.0f;
    }

    /** UNROLL steps from word offset w0 of the rows, every load issued before the first mma. */
    @Unroll
    private static void chunk(KernelContext ctx, float[] acc, F32Array x, int xAt, I64Array wLo, int baseLo,
                              I64Array wHi, int baseHi, int w0) {
        long[] lo = new long[2 * UNROLL];
        long[] hi = new long[2 * UNROLL];
        float[] xs = new float[Matvec.PER_LOAD * UNROLL];
        for (int u = 0; u < UNROLL; u++) {
            int wu = w0 + STEP_WORDS * u;
            WideLoad.load2(lo, 2 * u, wLo, 2 * (baseLo + wu));
            WideLoad.load2(hi, 2 * u, wHi, 2 * (baseHi + wu));
            WideLoad.load4(xs, 8 * u, x, xAt + Matvec.PER_LOAD * wu);
            WideLoad.load4(xs, 8 * u + 4, x, xAt + Matvec.PER_LOAD * wu + 4);
        }
        for (int u = 0; u < UNROLL; u++) {
            mmaPair(ctx, acc, lo[2 * u], lo[2 * u + 1], hi[2 * u], hi[2 * u + 1], xs, 8 * u);
        }
    }

    /** One step at word offset off (the lane's word is clamped to the row); live false: its weights count as zeros. */
    @Unroll
    private static void stepChecked(KernelContext ctx, float[] acc, F32Array x, int xAt, I64Array wLo, int baseLo,
                                    I64Array wHi, int baseHi, int off, boolean live) {
        long[] lo = new long[2];
        long[] hi = new long[2];
        float[] xs = new float[Matvec.PER_LOAD];
        WideLoad.load2(lo, 0, wLo, 2 * (baseLo + off));
        WideLoad.load2(hi, 0, wHi, 2 * (baseHi + off));
        WideLoad.load4(xs, 0, x, xAt + Matvec.PER_LOAD * off);
        WideLoad.load4(xs, 4, x, xAt + Matvec.PER_LOAD * off + 4);
        mmaPair(ctx, acc, live ? lo[0] : 0L, live ? lo[1] : 0L, live ? hi[0] : 0L, live ? hi[1] : 0L, xs, 0);
    }

    /**
     * The lane's eight k values of one step as the k pairs (t, t + 4) of two mma's: weights
     * lo (row g) and hi (row g + 8), each two longs of four bf16 (the lowest k in the low bits);
     * x row g in xs[at..at+8), rounded to bf16 pairs.
     */
    @Unroll
    private static void mmaPair(KernelContext ctx, float[] acc, long lo0, long lo1, long hi0, long hi1, float[] xs, int at) {
        int[] a = new int[8];
        int[] b = new int[4];
        a[0] = (int) lo0;
        a[1] = (int) hi0;
        a[2] = (int) (lo0 >>> 32);
        a[3] = (int) (hi0 >>> 32);
        a[4] = (int) lo1;
        a[5] = (int) hi1;
        a[6] = (int) (lo1 >>> 32);
        a[7] = (int) (hi1 >>> 32);
        for (int i = 0; i < 4; i++) b[i] = TensorCore.packBf16(xs[at + 2 * i], xs[at + 2 * i + 1]);
        TensorCore.mmaBf16(ctx, acc, 0, a, 0, b, 0);
        TensorCore.mmaBf16(ctx, acc, 0, a, 4, b, 2);
    }

    /** The lane's D fragment into the warp's [token][row] tile of partial. */
    private static void publish(KernelContext ctx, float[] acc, float[] partial) {
        int lane = ctx.laneId();
        int g = lane >> 2, t = lane & 3;
        int at = ctx.warpId() * TILE + 2 * t * TILE_ROWS + g;
        partial[at] = acc[0];
        partial[at + TILE_ROWS] = acc[1];
        partial[at + 8] = acc[2];
        partial[at + TILE_ROWS + 8] = acc[3];
    }

    /** The split parts' sums of one output (tiles TILE apart), added in part order. */
    private static float sumParts(float[] partial, int at, int split) {
        float sum = partial[at];
        for (int p = 1; p < split; p++) sum += partial[at + p * TILE];
        return sum;
    }
}
