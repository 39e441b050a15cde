package org.apbj.kernels.lib;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.Constant;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.KernelMath;
import org.apbj.kernels.api.Unroll;

/**
 * Projections: {@code y[rows, n] = x[rows, k] · Wᵀ (+ bias) (+ y)} with x in fp32, the weight
 * bf16 in Hugging Face layout {@code W[n, k]} (y = x·Wᵀ), fp32 accumulation.
 *
 * <p>Tiled kernels ({@code matmul*}): one group of {@link #THREADS} work-items computes a
 * {@link #BM}×{@link #BN} tile of y; x and W tiles of depth {@link #BK} are staged through shared
 * memory (the next slice is loaded into registers while the current one is multiplied) and
 * every work-item accumulates an {@link #TM}×{@link #TN} micro-tile in registers. The fixed-size
 * work (fetching and staging a slice, one depth step, the epilogue) is in {@link Unroll} methods,
 * so the micro-tile and the staged values are private arrays indexed by constants: registers.
 * Work-item (tx, ty) owns rows {@code ty + 16·i} and columns {@code tx + 16·j}, so consecutive
 * lanes read consecutive shared words and write consecutive output columns. Grid:
 * {@code Grid.of(ceil(n/BN)·THREADS, ceil(rows/BM), THREADS, 1)}.
 *
 * <p>Row offsets ({@code xRow0}, {@code yRow0}) let results land in a slice of a larger buffer
 * (k and v rows at kvRow). Rows of x have stride k, rows of y stride n.
 */
public final class Gemm {
    private Gemm() {}

    public static final int BM = 128;
    public static final int BN = 128;
    public static final int BK = 16;
    public static final int TM = 8;
    public static final int TN = 8;
    public static final int THREADS = 256;
    /** Padded row length of the transposed shared tiles (fewer bank conflicts on the stores). */
    private static final int SHARED_STRIDE = BM + 4;

    /** x read as rows of one fp32 array. */
    static final int SOURCE_PLAIN = 0;
    /** x read as the concatenation [q (fp32) | k (bf16) | v (bf16)] of one token (retaining heads). */
    static final int SOURCE_QKV = 1;

    /** fp32 output, optional bias, optional accumulate into y (residual adds). */
    public static void matmul(KernelContext ctx, F32Array y, int yRow0, F32Array x, int xRow0, BF16Array w,
                              BF16Array bias, int rows, int n, int k,
                              @Constant boolean hasBias, @Constant boolean accumulate) {
        tiled(ctx, y, w, false, x, w, w, SOURCE_PLAIN, xRow0, 0, 0, 0, w, bias, hasBias, accumulate, false,
                yRow0, rows, n, k);
    }

    /** bf16 output (k and v projections), optional bias. */
    public static void matmulBf16Out(KernelContext ctx, BF16Array y, int yRow0, F32Array x, int xRow0, BF16Array w,
                                     BF16Array bias, int rows, int n, int k, @Constant boolean hasBias) {
        tiled(ctx, x, y, true, x, w, w, SOURCE_PLAIN, xRow0, 0, 0, 0, w, bias, hasBias, false, false,
                yRow0, rows, n, k);
    }

    /**
     * The shared tiled body. Unused arrays are passed as any array of the right type and never
     * touched (the mode flags are launch constants, so the dead branches fold away).
     */
    static void tiled(KernelContext ctx, F32Array yF32, BF16Array yBf16, boolean bf16Out,
                      F32Array x, BF16Array xk, BF16Array xv, int source, int xRow0, int qDim, int kvDim, int kvRow0,
                      BF16Array w, BF16Array bias, boolean hasBias, boolean accumulate, boolean silu,
                      int yRow0, int rows, int n, int k) {
        int tid = ctx.localIdx;
        int tx = tid & 15;
        int ty = tid >> 4;
        int colBase = ctx.groupIdx * BN;
        int rowBase = ctx.groupIdy * BM;

        float[] aTile = ctx.allocateFloatLocalArray(BK * SHARED_STRIDE);
        float[] bTile = ctx.allocateFloatLocalArray(BK * SHARED_STRIDE);

        // Private arrays indexed only inside @Unroll helpers (constant indices): registers.
        float[] acc = new float[TM * TN];   // element (i, j) at TN·i + j: row ty + 16i, column tx + 16j
        float[] a = new float[TM];
        float[] b = new float[TN];
        // Elements tid + 256·l of each K-slice (row (tid >> 4) + 16·l, column tid & 15), loaded into
        // registers one slice ahead so the loads overlap the multiply of the current slice.
        float[] nextA = new float[STAGE_ELEMENTS];
        float[] nextB = new float[STAGE_ELEMENTS];
        fetchSlice(x, xk, xv, source, xRow0, qDim, kvDim, kvRow0, rows, w, n, k, rowBase, colBase, 0, tid, nextA, nextB);
        int stage = (tid & (BK - 1)) * SHARED_STRIDE + (tid >> 4);

        for (int k0 = 0; k0 < k; k0 += BK) {
            stageSlice(aTile, bTile, stage, nextA, nextB);
            ctx.localBarrier();
            if (k0 + BK < k) {
                fetchSlice(x, xk, xv, source, xRow0, qDim, kvDim, kvRow0, rows, w, n, k, rowBase, colBase, k0 + BK, tid,
                        nextA, nextB);
            }
            for (int kk = 0; kk < BK; kk++) multiplyStep(aTile, bTile, kk * SHARED_STRIDE, tx, ty, a, b, acc);
            ctx.localBarrier();
        }

        storeTile(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, rowBase + ty, colBase + tx, acc);
    }

    /** Elements of a K-slice each work-item moves into shared memory per operand: BM·BK / THREADS. */
    private static final int STAGE_ELEMENTS = BM * BK / THREADS;

    /** Loads this work-item's elements tid + 256·l of the x and W slices at depth k0 (0 outside). */
    @Unroll
    private static void fetchSlice(F32Array x, BF16Array xk, BF16Array xv, int source, int xRow0, int qDim, int kvDim,
                                   int kvRow0, int rows, BF16Array w, int n, int k, int rowBase, int colBase, int k0,
                                   int tid, float[] nextA, float[] nextB) {
        for (int l = 0; l < STAGE_ELEMENTS; l++) {
            nextA[l] = loadA(x, xk, xv, source, xRow0, qDim, kvDim, kvRow0, rows, k, rowBase, k0, tid + THREADS * l);
        }
        for (int l = 0; l < STAGE_ELEMENTS; l++) nextB[l] = loadB(w, n, k, colBase, k0, tid + THREADS * l);
    }

    /** Stores the fetched elements transposed ([kk][row]): element tid + 256·l is 16·l rows further. */
    @Unroll
    private static void stageSlice(float[] aTile, float[] bTile, int stage, float[] nextA, float[] nextB) {
        for (int l = 0; l < STAGE_ELEMENTS; l++) {
            aTile[stage + (THREADS / BK) * l] = nextA[l];
            bTile[stage + (THREADS / BK) * l] = nextB[l];
        }
    }

    /** One depth step: the TM×TN outer product of this work-item's x column and W row, added to acc. */
    @Unroll
    private static void multiplyStep(float[] aTile, float[] bTile, int at, int tx, int ty, float[] a, float[] b,
                                     float[] acc) {
        for (int i = 0; i < TM; i++) a[i] = aTile[at + ty + 16 * i];
        for (int j = 0; j < TN; j++) b[j] = bTile[at + tx + 16 * j];
        for (int i = 0; i < TM; i++) {
            for (int j = 0; j < TN; j++) acc[TN * i + j] = KernelMath.fma(a[i], b[j], acc[TN * i + j]);
        }
    }

    /** Element (i, j) of the micro-tile goes to row row + 16i, column col + 16j. */
    @Unroll
    private static void storeTile(F32Array yF32, BF16Array yBf16, boolean bf16Out, BF16Array bias, boolean hasBias,
                                  boolean accumulate, boolean silu, int yRow0, int rows, int n, int row, int col,
                                  float[] acc) {
        for (int i = 0; i < TM; i++) {
            for (int j = 0; j < TN; j++) {
                store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, row + 16 * i, col + 16 * j,
                        acc[TN * i + j]);
            }
        }
    }

    /** The epilogue for one element: bias, SiLU, accumulate, fp32 or bf16 store; nothing outside y. */
    static void store(F32Array yF32, BF16Array yBf16, boolean bf16Out, BF16Array bias, boolean hasBias,
                              boolean accumulate, boolean silu, int yRow0, int rows, int n, int row, int col, float v) {
        if (row >= rows || col >= n) return;
        if (hasBias) v += bias.getFloat(col);
        if (silu) v = KernelMath.silu(v);
        int at = (yRow0 + row) * n + col;
        if (bf16Out) {
            yBf16.setFloat(at, v);
        } else {
            if (accumulate) v += yF32.get(at);
            yF32.set(at, v);
        }
    }

    /** Element e of the BM×BK slice of x at depth k0 (row e / BK, column e % BK), 0 outside. */
    private static float loadA(F32Array x, BF16Array xk, BF16Array xv, int source, int xRow0, int qDim, int kvDim,
                               int kvRow0, int rows, int k, int rowBase, int k0, int e) {
        int gr = rowBase + (e >> 4);
        int gk = k0 + (e & (BK - 1));
        if (gr >= rows || gk >= k) return 0.0f;
        if (source == SOURCE_PLAIN) return x.get((xRow0 + gr) * k + gk);
        if (gk < qDim) return x.get((xRow0 + gr) * qDim + gk);
        if (gk < qDim + kvDim) return xk.getFloat((kvRow0 + gr) * kvDim + gk - qDim);
        return xv.getFloat((kvRow0 + gr) * kvDim + gk - qDim - kvDim);
    }

    /** Element e of the BN×BK slice of W at depth k0, 0 outside. */
    private static float loadB(BF16Array w, int n, int k, int colBase, int k0, int e) {
        int gc = colBase + (e >> 4);
        int gk = k0 + (e & (BK - 1));
        if (gc >= n || gk >= k) return 0.0f;
        return w.getFloat(gc * k + gk);
    }
}
