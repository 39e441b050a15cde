package org.apbj.kernels.lib;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.Constant;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I64Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.KernelMath;
import org.apbj.kernels.api.Unroll;

/**
 * The same product as {@link Gemm} for a few rows (decoding, the LM head on the last position,
 * short phase-2 queries): {@code y[rows, n] = x[rows, k] · Wᵀ (+ bias) (+ y)}. It is bound by
 * reading W once, so the kernel is built to stream W at memory speed:
 * <ul>
 *   <li>W (bf16 [n, k], row-major as the model stores it) is read through an {@link I64Array}
 *       view of the same memory: every load brings four bf16 values, a warp reads 256
 *       contiguous bytes per instruction ({@link KernelOps} makes the view; k must be a
 *       multiple of 4 so that rows start 8-byte aligned);</li>
 *   <li>each warp owns {@link #ROWS_PER_WARP} weight rows and issues {@link #UNROLL} loads per
 *       row before it uses any of them, so 16 loads (128 bytes) per lane are in flight; x
 *       (fp32, small, cached) is loaded once for both rows;</li>
 *   <li>the lanes' partial sums meet in a warp butterfly (no shared memory, no barrier), so
 *       blocks are independent and any number of them stream at once.</li>
 * </ul>
 * The fused variants save a launch and a round trip of the activations through memory:
 * {@link #matvecSwiGlu} (the gate and up rows of an output in one warp, h = silu(g)·u).
 * Accumulation is fp32 in a fixed order (lane-strided, then the butterfly), so results are
 * deterministic run to run.
 *
 * <p>Grid: 1-D, {@code Grid.groups(ceil(n / (ROWS_PER_WARP·WARPS)), THREADS)} (for
 * {@link #matvecSwiGlu}: {@code ceil(n / WARPS)} groups); rows ≤ {@link #MAX_ROWS}.
 */
public final class Matvec {
    private Matvec() {}

    public static final int THREADS = 256;
    public static final int WARPS = THREADS / KernelContext.WARP_SIZE;
    public static final int MAX_ROWS = 8;
    /** Weight rows one warp reads together (x loaded once for both). */
    public static final int ROWS_PER_WARP = 2;
    /** Loads per weight row a lane issues before it consumes them: 8-byte loads, 16 in flight. */
    public static final int UNROLL = 8;
    /** bf16 weights per 8-byte load. */
    public static final int PER_LOAD = 4;

    /** fp32 output, optional bias, optional accumulate into y (the residual add of the output and down projections). */
    public static void matvec(KernelContext ctx, F32Array y, int yRow0, F32Array x, int xRow0, I64Array w,
                              BF16Array bias, int n, int k, @Constant int rows,
                              @Constant boolean hasBias, @Constant boolean accumulate) {
        int c0 = pairRow(ctx);
        float[] acc = new float[ROWS_PER_WARP * MAX_ROWS];
        float bias0 = hasBias ? bias.getFloat(rowOrLast(c0, n)) : 0.0f;
        float bias1 = hasBias ? bias.getFloat(rowOrLast(c0 + 1, n)) : 0.0f;
        dot(ctx, acc, x, xRow0, w, rowOrLast(c0, n), w, rowOrLast(c0 + 1, n), k, rows);
        reduce(ctx, acc, rows);
        if (ctx.laneId() == 0) storeF32(acc, y, yRow0, c0, n, bias0, bias1, hasBias, accumulate, rows);
    }

    /** bf16 output (k and v rows written into a cache), optional bias. */
    public static void matvecBf16Out(KernelContext ctx, BF16Array y, int yRow0, F32Array x, int xRow0, I64Array w,
                                     BF16Array bias, int n, int k, @Constant int rows, @Constant boolean hasBias) {
        int c0 = pairRow(ctx);
        float[] acc = new float[ROWS_PER_WARP * MAX_ROWS];
        float bias0 = hasBias ? bias.getFloat(rowOrLast(c0, n)) : 0.0f;
        float bias1 = hasBias ? bias.getFloat(rowOrLast(c0 + 1, n)) : 0.0f;
        dot(ctx, acc, x, xRow0, w, rowOrLast(c0, n), w, rowOrLast(c0 + 1, n), k, rows);
        reduce(ctx, acc, rows);
        if (ctx.laneId() == 0) storeBf16(acc, y, yRow0, c0, n, bias0, bias1, hasBias, rows);
    }

    /**
     * The FFN's first half in one pass: {@code h[r, c] = silu(x_r · gate_c) · (x_r · up_c)}, gate
     * and up bf16 [n, k]; one warp per output c, which streams both weight rows. The same
     * values as the two products followed by {@link SwiGlu#swiGlu}.
     */
    public static void matvecSwiGlu(KernelContext ctx, F32Array h, F32Array x, int xRow0, I64Array gate, I64Array up,
                                    int n, int k, @Constant int rows) {
        int c = ctx.groupIdx * WARPS + ctx.warpId();
        int row = rowOrLast(c, n);
        float[] acc = new float[ROWS_PER_WARP * MAX_ROWS];
        dot(ctx, acc, x, xRow0, gate, row, up, row, k, rows);
        reduce(ctx, acc, rows);
        if (ctx.laneId() == 0 && c < n) storeSwiGlu(acc, h, c, n, rows);
    }

    /** The first of the warp's two weight rows. */
    private static int pairRow(KernelContext ctx) {
        return (ctx.groupIdx * WARPS + ctx.warpId()) * ROWS_PER_WARP;
    }

    /** Rows past n (the last group's spare warps) read row n - 1 and store nothing: no branch around the loads. */
    private static int rowOrLast(int c, int n) { return KernelMath.min(c, n - 1); }

    /**
     * acc[s·MAX_ROWS + r] = this lane's part of x_r · (row s of the pair): row 0 is rowA of wA, row
     * 1 rowB of wB. Lane l takes the 8-byte words l, l + 32, ... of each row; full chunks of
     * 32·UNROLL words run unchecked, the rest word by word.
     */
    private static void dot(KernelContext ctx, float[] acc, F32Array x, int xRow0, I64Array wA, int rowA, I64Array wB,
                            int rowB, int k, int rows) {
        clear(acc);
        int words = k / PER_LOAD;
        int baseA = rowA * words;
        int baseB = rowB * words;
        int lane = ctx.laneId();
        int chunk = 32 * UNROLL;
        int full = words - words % chunk;
        for (int j0 = 0; j0 < full; j0 += chunk) {
            chunk(acc, x, xRow0, wA, baseA, wB, baseB, j0 + lane, k, rows);
        }
        for (int j = full + lane; j < words; j += 32) {
            word(acc, x, xRow0, wA.get(baseA + j), wB.get(baseB + j), j, k, rows);
        }
    }

    @Unroll
    private static void clear(float[] acc) {
        for (int i = 0; i < ROWS_PER_WARP * MAX_ROWS; i++) acc[i] = 0.0f;
    }

    /** UNROLL words of each row, all loads issued before the first is used. */
    @Unroll
    private static void chunk(float[] acc, F32Array x, int xRow0, I64Array wA, int baseA, I64Array wB, int baseB, int j,
                              int k, int rows) {
        long[] a = new long[UNROLL];
        long[] b = new long[UNROLL];
        for (int u = 0; u < UNROLL; u++) {
            a[u] = wA.get(baseA + j + 32 * u);
            b[u] = wB.get(baseB + j + 32 * u);
        }
        for (int u = 0; u < UNROLL; u++) word(acc, x, xRow0, a[u], b[u], j + 32 * u, k, rows);
    }

    /** Word j of both rows (bf16 elements 4j..4j+3, the lowest in the low bits) against x columns 4j..4j+3. */
    @Unroll
    private static void word(float[] acc, F32Array x, int xRow0, long a, long b, int j, int k, int rows) {
        int aLo = (int) a, aHi = (int) (a >>> 32);
        int bLo = (int) b, bHi = (int) (b >>> 32);
        float a0 = Float.intBitsToFloat(aLo << 16), a1 = Float.intBitsToFloat(aLo & 0xffff0000);
        float a2 = Float.intBitsToFloat(aHi << 16), a3 = Float.intBitsToFloat(aHi & 0xffff0000);
        float b0 = Float.intBitsToFloat(bLo << 16), b1 = Float.intBitsToFloat(bLo & 0xffff0000);
        float b2 = Float.intBitsToFloat(bHi << 16), b3 = Float.intBitsToFloat(bHi & 0xffff0000);
        for (int r = 0; r < rows; r++) {
            int at = (xRow0 + r) * k + PER_LOAD * j;
            float x0 = x.get(at), x1 = x.get(at + 1), x2 = x.get(at + 2), x3 = x.get(at + 3);
            float s = acc[r];
            s = KernelMath.fma(a0, x0, s);
            s = KernelMath.fma(a1, x1, s);
            s = KernelMath.fma(a2, x2, s);
            acc[r] = KernelMath.fma(a3, x3, s);
            float t = acc[MAX_ROWS + r];
            t = KernelMath.fma(b0, x0, t);
            t = KernelMath.fma(b1, x1, t);
            t = KernelMath.fma(b2, x2, t);
            acc[MAX_ROWS + r] = KernelMath.fma(b3, x3, t);
        }
    }

    /** Every lane ends with the warp's sums (butterfly: the same order in every lane). */
    @Unroll
    private static void reduce(KernelContext ctx, float[] acc, int rows) {
        for (int s = 0; s < ROWS_PER_WARP; s++) {
            for (int r = 0; r < rows; r++) acc[s * MAX_ROWS + r] = ctx.warpReduceSum(acc[s * MAX_ROWS + r]);
        }
    }

    /**
     * Stores the pair's outputs c0 and c0 + 1 (those below n) in rows yRow0.. of y (row length
     * n); bias0/bias1 are added when hasBias, y's old value when accumulate. (The biases are
     * loaded before the warp reductions: loaded after them, PoCL gave every warp warp 0's bias.)
     */
    @Unroll
    private static void storeF32(float[] acc, F32Array y, int yRow0, int c0, int n, float bias0, float bias1,
                                 boolean hasBias, boolean accumulate, int rows) {
        for (int s = 0; s < ROWS_PER_WARP; s++) {
            for (int r = 0; r < rows; r++) {
                float sum = acc[s * MAX_ROWS + r];
                int at = (yRow0 + r) * n + c0 + s;
                if (c0 + s < n) {
                    // bias and residual summed first: one rounding less
                    float add = 0.0f;
                    if (hasBias) add = s == 0 ? bias0 : bias1;
                    if (accumulate) add += y.get(at);
                    y.set(at, (hasBias || accumulate) ? sum + add : sum);
                }
            }
        }
    }

    /** As {@link #storeF32} into bf16 rows (rounded once), no accumulate. */
    @Unroll
    private static void storeBf16(float[] acc, BF16Array y, int yRow0, int c0, int n, float bias0, float bias1,
                                  boolean hasBias, int rows) {
        for (int s = 0; s < ROWS_PER_WARP; s++) {
            if (c0 + s < n) {
                for (int r = 0; r < rows; r++) {
                    float sum = acc[s * MAX_ROWS + r];
                    if (hasBias) sum += s == 0 ? bias0 : bias1;
                    y.setFloat((yRow0 + r) * n + c0 + s, sum);
                }
            }
        }
    }

    @Unroll
    private static void storeSwiGlu(float[] acc, F32Array h, int c, int n, int rows) {
        for (int r = 0; r < rows; r++) h.set(r * n + c, KernelMath.silu(acc[r]) * acc[MAX_ROWS + r]);
    }
}
