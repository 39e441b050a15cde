package org.apbj.kernels.lib;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.Constant;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.KernelMath;

/**
 * Projections: {@code y[rows, n] = x[rows, k] · Wᵀ (+ bias) (+ y)} with x in fp32, the weight
 * bf16 in Hugging Face layout {@code W[n, k]} (y = x·Wᵀ), fp32 accumulation.
 *
 * <p>Tiled kernels ({@code matmul*}): one group of {@link #THREADS} work-items computes a
 * {@link #BM}×{@link #BN} tile of y; x and W tiles of depth {@link #BK} are staged through shared
 * memory (the next slice is loaded into registers while the current one is multiplied) and
 * every work-item accumulates an {@link #TM}×{@link #TN} micro-tile in registers, written out
 * as scalars (generated text): with indexed private arrays ptxas fell back to local memory.
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

        // The 8×8 accumulators, as scalars so that they live in registers.
        float c00 = 0.0f, c01 = 0.0f, c02 = 0.0f, c03 = 0.0f, c04 = 0.0f, c05 = 0.0f, c06 = 0.0f, c07 = 0.0f;
        float c10 = 0.0f, c11 = 0.0f, c12 = 0.0f, c13 = 0.0f, c14 = 0.0f, c15 = 0.0f, c16 = 0.0f, c17 = 0.0f;
        float c20 = 0.0f, c21 = 0.0f, c22 = 0.0f, c23 = 0.0f, c24 = 0.0f, c25 = 0.0f, c26 = 0.0f, c27 = 0.0f;
        float c30 = 0.0f, c31 = 0.0f, c32 = 0.0f, c33 = 0.0f, c34 = 0.0f, c35 = 0.0f, c36 = 0.0f, c37 = 0.0f;
        float c40 = 0.0f, c41 = 0.0f, c42 = 0.0f, c43 = 0.0f, c44 = 0.0f, c45 = 0.0f, c46 = 0.0f, c47 = 0.0f;
        float c50 = 0.0f, c51 = 0.0f, c52 = 0.0f, c53 = 0.0f, c54 = 0.0f, c55 = 0.0f, c56 = 0.0f, c57 = 0.0f;
        float c60 = 0.0f, c61 = 0.0f, c62 = 0.0f, c63 = 0.0f, c64 = 0.0f, c65 = 0.0f, c66 = 0.0f, c67 = 0.0f;
        float c70 = 0.0f, c71 = 0.0f, c72 = 0.0f, c73 = 0.0f, c74 = 0.0f, c75 = 0.0f, c76 = 0.0f, c77 = 0.0f;

        // Element tid + 256·l of each K-slice (row (tid >> 4) + 16·l, column tid & 15), loaded into
        // registers one slice ahead so the loads overlap the multiply of the current slice.
        float na0 = loadA(x, xk, xv, source, xRow0, qDim, kvDim, kvRow0, rows, k, rowBase, 0, tid + 0);
        float na1 = loadA(x, xk, xv, source, xRow0, qDim, kvDim, kvRow0, rows, k, rowBase, 0, tid + 256);
        float na2 = loadA(x, xk, xv, source, xRow0, qDim, kvDim, kvRow0, rows, k, rowBase, 0, tid + 512);
        float na3 = loadA(x, xk, xv, source, xRow0, qDim, kvDim, kvRow0, rows, k, rowBase, 0, tid + 768);
        float na4 = loadA(x, xk, xv, source, xRow0, qDim, kvDim, kvRow0, rows, k, rowBase, 0, tid + 1024);
        float na5 = loadA(x, xk, xv, source, xRow0, qDim, kvDim, kvRow0, rows, k, rowBase, 0, tid + 1280);
        float na6 = loadA(x, xk, xv, source, xRow0, qDim, kvDim, kvRow0, rows, k, rowBase, 0, tid + 1536);
        float na7 = loadA(x, xk, xv, source, xRow0, qDim, kvDim, kvRow0, rows, k, rowBase, 0, tid + 1792);
        float nb0 = loadB(w, n, k, colBase, 0, tid + 0);
        float nb1 = loadB(w, n, k, colBase, 0, tid + 256);
        float nb2 = loadB(w, n, k, colBase, 0, tid + 512);
        float nb3 = loadB(w, n, k, colBase, 0, tid + 768);
        float nb4 = loadB(w, n, k, colBase, 0, tid + 1024);
        float nb5 = loadB(w, n, k, colBase, 0, tid + 1280);
        float nb6 = loadB(w, n, k, colBase, 0, tid + 1536);
        float nb7 = loadB(w, n, k, colBase, 0, tid + 1792);
        int stage = (tid & (BK - 1)) * SHARED_STRIDE + (tid >> 4);

        for (int k0 = 0; k0 < k; k0 += BK) {
            // Stage the slice transposed ([kk][row]); out-of-range elements are 0.
            aTile[stage + 0] = na0;
            bTile[stage + 0] = nb0;
            aTile[stage + 16] = na1;
            bTile[stage + 16] = nb1;
            aTile[stage + 32] = na2;
            bTile[stage + 32] = nb2;
            aTile[stage + 48] = na3;
            bTile[stage + 48] = nb3;
            aTile[stage + 64] = na4;
            bTile[stage + 64] = nb4;
            aTile[stage + 80] = na5;
            bTile[stage + 80] = nb5;
            aTile[stage + 96] = na6;
            bTile[stage + 96] = nb6;
            aTile[stage + 112] = na7;
            bTile[stage + 112] = nb7;
            ctx.localBarrier();
            if (k0 + BK < k) {
                na0 = loadA(x, xk, xv, source, xRow0, qDim, kvDim, kvRow0, rows, k, rowBase, k0 + BK, tid + 0);
                na1 = loadA(x, xk, xv, source, xRow0, qDim, kvDim, kvRow0, rows, k, rowBase, k0 + BK, tid + 256);
                na2 = loadA(x, xk, xv, source, xRow0, qDim, kvDim, kvRow0, rows, k, rowBase, k0 + BK, tid + 512);
                na3 = loadA(x, xk, xv, source, xRow0, qDim, kvDim, kvRow0, rows, k, rowBase, k0 + BK, tid + 768);
                na4 = loadA(x, xk, xv, source, xRow0, qDim, kvDim, kvRow0, rows, k, rowBase, k0 + BK, tid + 1024);
                na5 = loadA(x, xk, xv, source, xRow0, qDim, kvDim, kvRow0, rows, k, rowBase, k0 + BK, tid + 1280);
                na6 = loadA(x, xk, xv, source, xRow0, qDim, kvDim, kvRow0, rows, k, rowBase, k0 + BK, tid + 1536);
                na7 = loadA(x, xk, xv, source, xRow0, qDim, kvDim, kvRow0, rows, k, rowBase, k0 + BK, tid + 1792);
                nb0 = loadB(w, n, k, colBase, k0 + BK, tid + 0);
                nb1 = loadB(w, n, k, colBase, k0 + BK, tid + 256);
                nb2 = loadB(w, n, k, colBase, k0 + BK, tid + 512);
                nb3 = loadB(w, n, k, colBase, k0 + BK, tid + 768);
                nb4 = loadB(w, n, k, colBase, k0 + BK, tid + 1024);
                nb5 = loadB(w, n, k, colBase, k0 + BK, tid + 1280);
                nb6 = loadB(w, n, k, colBase, k0 + BK, tid + 1536);
                nb7 = loadB(w, n, k, colBase, k0 + BK, tid + 1792);
            }
            for (int kk = 0; kk < BK; kk++) {
                int at = kk * SHARED_STRIDE;
                float a0 = aTile[at + ty + 0], a1 = aTile[at + ty + 16], a2 = aTile[at + ty + 32], a3 = aTile[at + ty + 48];
                float a4 = aTile[at + ty + 64], a5 = aTile[at + ty + 80], a6 = aTile[at + ty + 96], a7 = aTile[at + ty + 112];
                float b0 = bTile[at + tx + 0], b1 = bTile[at + tx + 16], b2 = bTile[at + tx + 32], b3 = bTile[at + tx + 48];
                float b4 = bTile[at + tx + 64], b5 = bTile[at + tx + 80], b6 = bTile[at + tx + 96], b7 = bTile[at + tx + 112];
                c00 = KernelMath.fma(a0, b0, c00);
                c01 = KernelMath.fma(a0, b1, c01);
                c02 = KernelMath.fma(a0, b2, c02);
                c03 = KernelMath.fma(a0, b3, c03);
                c04 = KernelMath.fma(a0, b4, c04);
                c05 = KernelMath.fma(a0, b5, c05);
                c06 = KernelMath.fma(a0, b6, c06);
                c07 = KernelMath.fma(a0, b7, c07);
                c10 = KernelMath.fma(a1, b0, c10);
                c11 = KernelMath.fma(a1, b1, c11);
                c12 = KernelMath.fma(a1, b2, c12);
                c13 = KernelMath.fma(a1, b3, c13);
                c14 = KernelMath.fma(a1, b4, c14);
                c15 = KernelMath.fma(a1, b5, c15);
                c16 = KernelMath.fma(a1, b6, c16);
                c17 = KernelMath.fma(a1, b7, c17);
                c20 = KernelMath.fma(a2, b0, c20);
                c21 = KernelMath.fma(a2, b1, c21);
                c22 = KernelMath.fma(a2, b2, c22);
                c23 = KernelMath.fma(a2, b3, c23);
                c24 = KernelMath.fma(a2, b4, c24);
                c25 = KernelMath.fma(a2, b5, c25);
                c26 = KernelMath.fma(a2, b6, c26);
                c27 = KernelMath.fma(a2, b7, c27);
                c30 = KernelMath.fma(a3, b0, c30);
                c31 = KernelMath.fma(a3, b1, c31);
                c32 = KernelMath.fma(a3, b2, c32);
                c33 = KernelMath.fma(a3, b3, c33);
                c34 = KernelMath.fma(a3, b4, c34);
                c35 = KernelMath.fma(a3, b5, c35);
                c36 = KernelMath.fma(a3, b6, c36);
                c37 = KernelMath.fma(a3, b7, c37);
                c40 = KernelMath.fma(a4, b0, c40);
                c41 = KernelMath.fma(a4, b1, c41);
                c42 = KernelMath.fma(a4, b2, c42);
                c43 = KernelMath.fma(a4, b3, c43);
                c44 = KernelMath.fma(a4, b4, c44);
                c45 = KernelMath.fma(a4, b5, c45);
                c46 = KernelMath.fma(a4, b6, c46);
                c47 = KernelMath.fma(a4, b7, c47);
                c50 = KernelMath.fma(a5, b0, c50);
                c51 = KernelMath.fma(a5, b1, c51);
                c52 = KernelMath.fma(a5, b2, c52);
                c53 = KernelMath.fma(a5, b3, c53);
                c54 = KernelMath.fma(a5, b4, c54);
                c55 = KernelMath.fma(a5, b5, c55);
                c56 = KernelMath.fma(a5, b6, c56);
                c57 = KernelMath.fma(a5, b7, c57);
                c60 = KernelMath.fma(a6, b0, c60);
                c61 = KernelMath.fma(a6, b1, c61);
                c62 = KernelMath.fma(a6, b2, c62);
                c63 = KernelMath.fma(a6, b3, c63);
                c64 = KernelMath.fma(a6, b4, c64);
                c65 = KernelMath.fma(a6, b5, c65);
                c66 = KernelMath.fma(a6, b6, c66);
                c67 = KernelMath.fma(a6, b7, c67);
                c70 = KernelMath.fma(a7, b0, c70);
                c71 = KernelMath.fma(a7, b1, c71);
                c72 = KernelMath.fma(a7, b2, c72);
                c73 = KernelMath.fma(a7, b3, c73);
                c74 = KernelMath.fma(a7, b4, c74);
                c75 = KernelMath.fma(a7, b5, c75);
                c76 = KernelMath.fma(a7, b6, c76);
                c77 = KernelMath.fma(a7, b7, c77);
            }
            ctx.localBarrier();
        }

        int r0 = rowBase + ty + 0;
        int r1 = rowBase + ty + 16;
        int r2 = rowBase + ty + 32;
        int r3 = rowBase + ty + 48;
        int r4 = rowBase + ty + 64;
        int r5 = rowBase + ty + 80;
        int r6 = rowBase + ty + 96;
        int r7 = rowBase + ty + 112;
        int col0 = colBase + tx + 0;
        int col1 = colBase + tx + 16;
        int col2 = colBase + tx + 32;
        int col3 = colBase + tx + 48;
        int col4 = colBase + tx + 64;
        int col5 = colBase + tx + 80;
        int col6 = colBase + tx + 96;
        int col7 = colBase + tx + 112;
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r0, col0, c00);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r0, col1, c01);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r0, col2, c02);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r0, col3, c03);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r0, col4, c04);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r0, col5, c05);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r0, col6, c06);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r0, col7, c07);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r1, col0, c10);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r1, col1, c11);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r1, col2, c12);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r1, col3, c13);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r1, col4, c14);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r1, col5, c15);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r1, col6, c16);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r1, col7, c17);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r2, col0, c20);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r2, col1, c21);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r2, col2, c22);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r2, col3, c23);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r2, col4, c24);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r2, col5, c25);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r2, col6, c26);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r2, col7, c27);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r3, col0, c30);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r3, col1, c31);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r3, col2, c32);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r3, col3, c33);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r3, col4, c34);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r3, col5, c35);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r3, col6, c36);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r3, col7, c37);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r4, col0, c40);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r4, col1, c41);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r4, col2, c42);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r4, col3, c43);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r4, col4, c44);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r4, col5, c45);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r4, col6, c46);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r4, col7, c47);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r5, col0, c50);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r5, col1, c51);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r5, col2, c52);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r5, col3, c53);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r5, col4, c54);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r5, col5, c55);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r5, col6, c56);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r5, col7, c57);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r6, col0, c60);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r6, col1, c61);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r6, col2, c62);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r6, col3, c63);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r6, col4, c64);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r6, col5, c65);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r6, col6, c66);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r6, col7, c67);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r7, col0, c70);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r7, col1, c71);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r7, col2, c72);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r7, col3, c73);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r7, col4, c74);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r7, col5, c75);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r7, col6, c76);
        store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, silu, yRow0, rows, n, r7, col7, c77);
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
