package org.apbj.kernels.lib;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.Constant;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.I64Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.KernelMath;
import org.apbj.kernels.api.Unroll;
import org.apbj.kernels.api.WideLoad;

/**
 * The same product as {@link Gemm} for a few rows (decoding, the LM head on the last position,
 * short phase-2 queries): {@code y[rows, n] = x[rows, k] · Wᵀ (+ bias) (+ y)}. It is bound by
 * reading W once, so the kernel is built to stream W at memory speed:
 * <ul>
 *   <li>W (bf16 [n, k], row-major as the model stores it) is read through an {@link I64Array}
 *       view of the same memory in 16-byte loads ({@link WideLoad}, eight bf16 each): a warp
 *       reads 512 contiguous bytes per instruction ({@link KernelOps} makes the view; k must be
 *       a multiple of 8 so that rows start 16-byte aligned); x (fp32, small, cached) comes in
 *       16-byte loads too;</li>
 *   <li>each warp owns {@link #ROWS_PER_WARP} weight rows and issues {@link #UNROLL} loads per
 *       row before it uses any of them, so 128 bytes per lane (4 KiB per warp) are in flight;
 *       x is loaded once for both rows;</li>
 *   <li>the lanes' partial sums meet in a warp butterfly (no shared memory, no barrier), so
 *       blocks are independent and any number of them stream at once.</li>
 * </ul>
 * The fused variants save launches and round trips of the activations through memory:
 * {@link #matvecSwiGlu} (the gate and up rows of an output in one warp, h = silu(g)·u) and
 * {@link #matvecQkvRope} (a decode step's q, k and v in one launch, RoPE applied and k, v
 * written into the cache row of the step). Accumulation is fp32 in a fixed order (lane-strided,
 * then the butterfly), so results are deterministic run to run.
 *
 * <p>Grid: 1-D, {@code Grid.groups(ceil(n / (ROWS_PER_WARP·WARPS)), THREADS)} (for
 * {@link #matvecSwiGlu}: {@code ceil(n / WARPS)} groups; for {@link #matvecQkvRope}:
 * {@code ceil((qDim + 2·kvDim) / (2·WARPS))}); rows ≤ {@link #MAX_ROWS}.
 *
 * <p>The {@code *Split} kernels are the one-row products with k split across {@code split}
 * warps of a group ({@link #matvecSplit}): products of few outputs (4096 launch 2048 warps, about
 * 16 per multiprocessor of an H200) do not keep enough loads in flight to stream at memory speed;
 * {@link MatvecChoice} picks the split. More rows on tensor cores: {@link MatvecTc}.
 */
public final class Matvec {
    private Matvec() {}

    public static final int THREADS = 256;
    public static final int WARPS = THREADS / KernelContext.WARP_SIZE;
    public static final int MAX_ROWS = 8;
    /** Weight rows one warp reads together (x loaded once for both). */
    public static final int ROWS_PER_WARP = 2;
    /** 16-byte loads per weight row a lane issues before it consumes them (2·4·16 = 128 bytes in flight per lane). */
    public static final int UNROLL = 4;
    /** bf16 weights per 16-byte load: k must be a multiple of this. */
    public static final int PER_LOAD = 8;

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

    /**
     * A decode step's attention inputs in one launch, for the one row of x (the normed hidden
     * state): {@code q = x·Wqᵀ (+ bq)} with RoPE, into q (fp32 [qDim]); {@code k = x·Wkᵀ (+ bk)}
     * rounded to bf16, RoPE applied and rounded again, and {@code v = x·Wvᵀ (+ bv)} rounded to
     * bf16, into row {@code step[0]} of kCache and vCache (bf16 [*, kvDim]) at position
     * {@code step[0]}. Bit for bit what {@link #matvec} into q, {@link #matvecBf16Out} into k and
     * v rows, {@link Rope#ropeF32} / {@link Rope#ropeBf16} and {@link DecodeStep}'s copy into the
     * cache give, in one launch instead of six.
     *
     * <p>A warp owns the rows c and c + headDim/2 of one head (the two elements that RoPE rotates
     * together), so the rotation happens in the warp's epilogue. The rows of q, k and v are
     * numbered one after the other (qDim + 2·kvDim in all); which matrix a warp reads is uniform
     * in the warp, and the warp reduction comes after the three branches, so every work-item of
     * a group reaches it (the OpenCL emulation's rule) even where a group spans two matrices.
     */
    public static void matvecQkvRope(KernelContext ctx, F32Array q, BF16Array kCache, BF16Array vCache, I32Array step,
                                     F32Array x, I64Array wq, I64Array wk, I64Array wv, BF16Array bq, BF16Array bk,
                                     BF16Array bv, F32Array invFreq, int qDim, int kvDim, int k, @Constant int headDim,
                                     @Constant boolean hasBias) {
        int half = headDim / 2;
        int pairs = (qDim + 2 * kvDim) / 2;
        int p = ctx.groupIdx * WARPS + ctx.warpId();
        int pc = KernelMath.min(p, pairs - 1);   // spare warps of the last group redo the last pair and store nothing
        int c = (pc / half) * headDim + pc % half;   // the pair's first row in [q | k | v]
        int i = pc % half;
        int pos = step.get(0);
        float angle = pos * invFreq.get(i);
        float[] acc = new float[ROWS_PER_WARP * MAX_ROWS];
        float bias0 = 0.0f, bias1 = 0.0f;
        if (c < qDim) {
            if (hasBias) {
                bias0 = bq.getFloat(c);
                bias1 = bq.getFloat(c + half);
            }
            dot(ctx, acc, x, 0, wq, c, wq, c + half, k, 1);
        } else if (c < qDim + kvDim) {
            if (hasBias) {
                bias0 = bk.getFloat(c - qDim);
                bias1 = bk.getFloat(c - qDim + half);
            }
            dot(ctx, acc, x, 0, wk, c - qDim, wk, c - qDim + half, k, 1);
        } else {
            if (hasBias) {
                bias0 = bv.getFloat(c - qDim - kvDim);
                bias1 = bv.getFloat(c - qDim - kvDim + half);
            }
            dot(ctx, acc, x, 0, wv, c - qDim - kvDim, wv, c - qDim - kvDim + half, k, 1);
        }
        reduce(ctx, acc, 1);
        if (ctx.laneId() == 0 && p < pairs) {
            storeRope(q, kCache, vCache, c, qDim, kvDim, half, pos, angle, hasBias ? acc[0] + bias0 : acc[0],
                    hasBias ? acc[MAX_ROWS] + bias1 : acc[MAX_ROWS]);
        }
    }

    /**
     * The pair's sums s0 (row c of [q | k | v]) and s1 (row c + half), biases added, to where
     * they go: q rotated in fp32; k rounded to bf16, rotated and rounded again into the cache row
     * pos; v rounded once into its cache row.
     */
    private static void storeRope(F32Array q, BF16Array kCache, BF16Array vCache, int c, int qDim, int kvDim, int half,
                                  int pos, float angle, float s0, float s1) {
        if (c < qDim) {
            float cs = Rope.cosOf(angle), sn = Rope.sinOf(angle);
            q.set(c, s0 * cs - s1 * sn);
            q.set(c + half, s1 * cs + s0 * sn);
        } else if (c < qDim + kvDim) {
            float cs = Rope.cosOf(angle), sn = Rope.sinOf(angle);
            float k0 = KernelMath.bf16ToFloat(KernelMath.floatToBf16(s0));
            float k1 = KernelMath.bf16ToFloat(KernelMath.floatToBf16(s1));
            int at = pos * kvDim + c - qDim;
            kCache.setFloat(at, k0 * cs - k1 * sn);
            kCache.setFloat(at + half, k1 * cs + k0 * sn);
        } else {
            int at = pos * kvDim + c - qDim - kvDim;
            vCache.setFloat(at, s0);
            vCache.setFloat(at + half, s1);
        }
    }

    // --- split k: the one-row products whose outputs alone launch too few warps ----------------

    /**
     * {@link #matvec} for one row with the k range of each weight pair split across {@code split}
     * warps of a group (1, 2, 4 or 8): warp w takes pair slot w / split and part w % split, a
     * contiguous range of 16-byte words (whole 32-lane chunks, then a masked tail chunk), and the
     * parts' sums meet in shared memory in part order after a barrier ({@link #combine}), so the
     * result is the same run to run (no atomics) though it differs from the unsplit kernel in
     * the order of its fp32 additions. A product of n outputs launches
     * {@code ceil(n / (ROWS_PER_WARP · WARPS / split))} groups: split times the warps of
     * {@link #matvec}, each streaming 1/split of k.
     */
    public static void matvecSplit(KernelContext ctx, F32Array y, int yRow0, F32Array x, int xRow0, I64Array w,
                                   BF16Array bias, int n, int k, int split, @Constant boolean hasBias,
                                   @Constant boolean accumulate) {
        float[] partial = ctx.allocateFloatLocalArray(WARPS * ROWS_PER_WARP * MAX_ROWS);
        int part = ctx.warpId() % split;
        int c0 = splitPairRow(ctx, split);
        float[] acc = new float[ROWS_PER_WARP * MAX_ROWS];
        float bias0 = hasBias ? bias.getFloat(rowOrLast(c0, n)) : 0.0f;
        float bias1 = hasBias ? bias.getFloat(rowOrLast(c0 + 1, n)) : 0.0f;
        int words = k / PER_LOAD;
        dotRange(ctx, acc, x, xRow0, w, rowOrLast(c0, n), w, rowOrLast(c0 + 1, n), k, 1,
                partBegin(words, split, part), partBegin(words, split, part + 1));
        reduce(ctx, acc, 1);
        combine(ctx, acc, partial, split, 1);
        if (part == 0 && ctx.laneId() == 0) storeF32(acc, y, yRow0, c0, n, bias0, bias1, hasBias, accumulate, 1);
    }

    /** {@link #matvecBf16Out} for one row, k split as in {@link #matvecSplit}. */
    public static void matvecBf16OutSplit(KernelContext ctx, BF16Array y, int yRow0, F32Array x, int xRow0, I64Array w,
                                          BF16Array bias, int n, int k, int split, @Constant boolean hasBias) {
        float[] partial = ctx.allocateFloatLocalArray(WARPS * ROWS_PER_WARP * MAX_ROWS);
        int part = ctx.warpId() % split;
        int c0 = splitPairRow(ctx, split);
        float[] acc = new float[ROWS_PER_WARP * MAX_ROWS];
        float bias0 = hasBias ? bias.getFloat(rowOrLast(c0, n)) : 0.0f;
        float bias1 = hasBias ? bias.getFloat(rowOrLast(c0 + 1, n)) : 0.0f;
        int words = k / PER_LOAD;
        dotRange(ctx, acc, x, xRow0, w, rowOrLast(c0, n), w, rowOrLast(c0 + 1, n), k, 1,
                partBegin(words, split, part), partBegin(words, split, part + 1));
        reduce(ctx, acc, 1);
        combine(ctx, acc, partial, split, 1);
        if (part == 0 && ctx.laneId() == 0) storeBf16(acc, y, yRow0, c0, n, bias0, bias1, hasBias, 1);
    }

    /**
     * {@link #matvecQkvRope} with k split as in {@link #matvecSplit} ({@code ceil(pairs / (WARPS /
     * split))} groups).
     */
    public static void matvecQkvRopeSplit(KernelContext ctx, F32Array q, BF16Array kCache, BF16Array vCache,
                                          I32Array step, F32Array x, I64Array wq, I64Array wk, I64Array wv, BF16Array bq,
                                          BF16Array bk, BF16Array bv, F32Array invFreq, int qDim, int kvDim, int k,
                                          int split, @Constant int headDim, @Constant boolean hasBias) {
        float[] partial = ctx.allocateFloatLocalArray(WARPS * ROWS_PER_WARP * MAX_ROWS);
        int half = headDim / 2;
        int pairs = (qDim + 2 * kvDim) / 2;
        int part = ctx.warpId() % split;
        int p = ctx.groupIdx * (WARPS / split) + ctx.warpId() / split;
        int pc = KernelMath.min(p, pairs - 1);   // spare warps of the last group redo the last pair and store nothing
        int c = (pc / half) * headDim + pc % half;   // the pair's first row in [q | k | v]
        int pos = step.get(0);
        float angle = pos * invFreq.get(pc % half);
        float[] acc = new float[ROWS_PER_WARP * MAX_ROWS];
        int words = k / PER_LOAD;
        int begin = partBegin(words, split, part), end = partBegin(words, split, part + 1);
        float bias0 = 0.0f, bias1 = 0.0f;
        // one branch per matrix (the compiler keeps one array per variable); uniform in the warp
        if (c < qDim) {
            if (hasBias) {
                bias0 = bq.getFloat(c);
                bias1 = bq.getFloat(c + half);
            }
            dotRange(ctx, acc, x, 0, wq, c, wq, c + half, k, 1, begin, end);
        } else if (c < qDim + kvDim) {
            if (hasBias) {
                bias0 = bk.getFloat(c - qDim);
                bias1 = bk.getFloat(c - qDim + half);
            }
            dotRange(ctx, acc, x, 0, wk, c - qDim, wk, c - qDim + half, k, 1, begin, end);
        } else {
            if (hasBias) {
                bias0 = bv.getFloat(c - qDim - kvDim);
                bias1 = bv.getFloat(c - qDim - kvDim + half);
            }
            dotRange(ctx, acc, x, 0, wv, c - qDim - kvDim, wv, c - qDim - kvDim + half, k, 1, begin, end);
        }
        reduce(ctx, acc, 1);
        combine(ctx, acc, partial, split, 1);
        if (part == 0 && ctx.laneId() == 0 && p < pairs) {
            storeRope(q, kCache, vCache, c, qDim, kvDim, half, pos, angle, hasBias ? acc[0] + bias0 : acc[0],
                    hasBias ? acc[MAX_ROWS] + bias1 : acc[MAX_ROWS]);
        }
    }

    /** The first of the two weight rows of this warp's slot when k is split {@code split} ways. */
    private static int splitPairRow(KernelContext ctx, int split) {
        return (ctx.groupIdx * (WARPS / split) + ctx.warpId() / split) * ROWS_PER_WARP;
    }

    /**
     * Where part {@code part} of {@code split} begins in a row of {@code words} 16-byte words
     * (part = split gives the end): equal ranges rounded up to whole 32-word warp loads, so that
     * each warp load stays 512-byte aligned; the last part takes what is left (possibly nothing).
     */
    static int partBegin(int words, int split, int part) {
        int per = ((words + split - 1) / split + 31) / 32 * 32;
        return KernelMath.min(part * per, words);
    }

    /**
     * As {@link #dot} over the words [begin, end) of both rows: whole chunks of 32·UNROLL words,
     * then one chunk whose words past end are read at end - 1 and count as zeros, so that the
     * tail's loads are in flight together too.
     */
    private static void dotRange(KernelContext ctx, float[] acc, F32Array x, int xRow0, I64Array wA, int rowA,
                                 I64Array wB, int rowB, int k, int rows, int begin, int end) {
        clear(acc);
        int words = k / PER_LOAD;
        int baseA = rowA * words;
        int baseB = rowB * words;
        int lane = ctx.laneId();
        int chunk = 32 * UNROLL;
        int full = begin + (end - begin) / chunk * chunk;
        for (int j0 = begin; j0 < full; j0 += chunk) {
            chunk(acc, x, xRow0, wA, baseA, wB, baseB, j0 + lane, k, rows);
        }
        if (full < end) tailChunk(acc, x, xRow0, wA, baseA, wB, baseB, full + lane, end, k, rows);
    }

    /** Words j, j + 32, ... below end of both rows, loads issued before use; the others are read at end - 1 and zeroed. */
    @Unroll
    private static void tailChunk(float[] acc, F32Array x, int xRow0, I64Array wA, int baseA, I64Array wB, int baseB,
                                  int j, int end, int k, int rows) {
        long[] a = new long[2 * UNROLL];
        long[] b = new long[2 * UNROLL];
        for (int u = 0; u < UNROLL; u++) {
            int at = KernelMath.min(j + 32 * u, end - 1);
            WideLoad.load2(a, 2 * u, wA, 2 * (baseA + at));
            WideLoad.load2(b, 2 * u, wB, 2 * (baseB + at));
        }
        for (int u = 0; u < UNROLL; u++) {
            boolean live = j + 32 * u < end;
            word(acc, x, xRow0, live ? a[2 * u] : 0L, live ? a[2 * u + 1] : 0L, live ? b[2 * u] : 0L,
                    live ? b[2 * u + 1] : 0L, KernelMath.min(j + 32 * u, end - 1), k, rows);
        }
    }

    /**
     * The split-k meeting point, after the warp reduction: lane 0 of every warp puts its sums in
     * {@code partial}, and after the group's barrier (which every work-item reaches) each lane
     * of a slot's part-0 warp adds the slot's parts in part order into acc.
     */
    private static void combine(KernelContext ctx, float[] acc, float[] partial, int split, int rows) {
        int warp = ctx.warpId();
        int slots = ROWS_PER_WARP * MAX_ROWS;
        if (ctx.laneId() == 0) publish(acc, partial, warp * slots, rows);
        ctx.localBarrier();
        int first = warp - warp % split;
        take(acc, partial, first * slots, rows);
        for (int p = 1; p < split; p++) addPart(acc, partial, (first + p) * slots, rows);
    }

    @Unroll
    private static void publish(float[] acc, float[] partial, int at, int rows) {
        for (int s = 0; s < ROWS_PER_WARP; s++) {
            for (int r = 0; r < rows; r++) partial[at + s * MAX_ROWS + r] = acc[s * MAX_ROWS + r];
        }
    }

    @Unroll
    private static void take(float[] acc, float[] partial, int at, int rows) {
        for (int s = 0; s < ROWS_PER_WARP; s++) {
            for (int r = 0; r < rows; r++) acc[s * MAX_ROWS + r] = partial[at + s * MAX_ROWS + r];
        }
    }

    @Unroll
    private static void addPart(float[] acc, float[] partial, int at, int rows) {
        for (int s = 0; s < ROWS_PER_WARP; s++) {
            for (int r = 0; r < rows; r++) acc[s * MAX_ROWS + r] += partial[at + s * MAX_ROWS + r];
        }
    }

    /** The first of the warp's two weight rows. */
    private static int pairRow(KernelContext ctx) {
        return (ctx.groupIdx * WARPS + ctx.warpId()) * ROWS_PER_WARP;
    }

    /** Rows past n (the last group's spare warps) read row n - 1 and store nothing: no branch around the loads. */
    private static int rowOrLast(int c, int n) { return KernelMath.min(c, n - 1); }

    /**
     * acc[s·MAX_ROWS + r] = this lane's part of x_r · (row s of the pair): row 0 is rowA of wA, row
     * 1 rowB of wB. Lane l takes the 16-byte words l, l + 32, ... of each row; full chunks of
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
            long[] a = new long[2];
            long[] b = new long[2];
            WideLoad.load2(a, 0, wA, 2 * (baseA + j));
            WideLoad.load2(b, 0, wB, 2 * (baseB + j));
            word(acc, x, xRow0, a[0], a[1], b[0], b[1], j, k, rows);
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
        long[] a = new long[2 * UNROLL];
        long[] b = new long[2 * UNROLL];
        for (int u = 0; u < UNROLL; u++) {
            WideLoad.load2(a, 2 * u, wA, 2 * (baseA + j + 32 * u));
            WideLoad.load2(b, 2 * u, wB, 2 * (baseB + j + 32 * u));
        }
        for (int u = 0; u < UNROLL; u++) word(acc, x, xRow0, a[2 * u], a[2 * u + 1], b[2 * u], b[2 * u + 1], j + 32 * u, k, rows);
    }

    /**
     * Word j of both rows (bf16 elements 8j..8j+7: the low long holds 8j..8j+3, the lowest in
     * the low bits) against x columns 8j..8j+7.
     */
    @Unroll
    private static void word(float[] acc, F32Array x, int xRow0, long aLo, long aHi, long bLo, long bHi, int j, int k,
                             int rows) {
        float[] a = new float[PER_LOAD];
        float[] b = new float[PER_LOAD];
        unpack(a, 0, aLo);
        unpack(a, 4, aHi);
        unpack(b, 0, bLo);
        unpack(b, 4, bHi);
        for (int r = 0; r < rows; r++) {
            float[] xs = new float[PER_LOAD];
            int at = (xRow0 + r) * k + PER_LOAD * j;
            WideLoad.load4(xs, 0, x, at);
            WideLoad.load4(xs, 4, x, at + 4);
            float s = acc[r];
            float t = acc[MAX_ROWS + r];
            for (int e = 0; e < PER_LOAD; e++) {
                s = KernelMath.fma(a[e], xs[e], s);
                t = KernelMath.fma(b[e], xs[e], t);
            }
            acc[r] = s;
            acc[MAX_ROWS + r] = t;
        }
    }

    /** The four bf16 of a long (the lowest element in the low bits) as floats into f[at..at+4). */
    @Unroll
    private static void unpack(float[] f, int at, long v) {
        int lo = (int) v, hi = (int) (v >>> 32);
        f[at] = Float.intBitsToFloat(lo << 16);
        f[at + 1] = Float.intBitsToFloat(lo & 0xffff0000);
        f[at + 2] = Float.intBitsToFloat(hi << 16);
        f[at + 3] = Float.intBitsToFloat(hi & 0xffff0000);
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
