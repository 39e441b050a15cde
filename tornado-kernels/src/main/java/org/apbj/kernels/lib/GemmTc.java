package org.apbj.kernels.lib;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.Constant;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.LaunchBounds;
import org.apbj.kernels.api.TensorCore;

/**
 * The projection of {@link Gemm} on tensor cores: {@code y[rows, n] = x[rows, k] · Wᵀ (+ bias)
 * (+ y)} with x fp32 rounded to bf16 as it is staged, W bf16 [n, k], fp32 accumulation
 * ({@link TensorCore#mmaBf16}, mma.m16n8k16). The result differs from the fp32 kernel by the
 * rounding of x to bf16 (relative 2^-9 per element), as in any bf16 GEMM.
 *
 * <p>A group of {@link #THREADS} work-items (8 warps) computes a {@link #BM}×{@link #BN} tile
 * of y; warp w owns the 64×32 sub-tile at rows 64·(w / 4), columns 32·(w % 4), as 4×4 mma
 * tiles of 16×8 whose accumulators stay in registers (64 floats per lane). Slices of depth
 * {@link #BK} of x and W are staged in shared memory as packed bf16 pairs, rows padded to
 * {@link #STRIDE} ints so that the fragment loads of a warp hit 32 different banks; the next
 * slice is loaded into registers while the current one is multiplied. Depths past k read
 * as 0; rows past rows (or n) are read from element 0 and their outputs are not stored. Grid as Gemm's:
 * {@code Grid.of(ceil(n/BN)·THREADS, ceil(rows/BM), THREADS, 1)}.
 *
 * <p>Generated text (the 16 accumulator tiles are separate arrays with constant indices so
 * that the compiler keeps them in registers).
 */
public final class GemmTc {
    private GemmTc() {}

    public static final int BM = 128;
    public static final int BN = 128;
    public static final int BK = 32;
    public static final int THREADS = 256;
    /** Ints per shared row: BK / 2 bf16 pairs and 4 of padding. */
    static final int STRIDE = BK / 2 + 4;

    /** fp32 output, optional bias, optional accumulate into y. */
    @LaunchBounds(threads = THREADS, minGroupsPerMultiprocessor = 2)
    public static void matmulTc(KernelContext ctx, F32Array y, int yRow0, F32Array x, int xRow0, BF16Array w,
                                BF16Array bias, int rows, int n, int k,
                                @Constant boolean hasBias, @Constant boolean accumulate) {
        tiled(ctx, y, w, false, x, xRow0, w, bias, hasBias, accumulate, yRow0, rows, n, k);
    }

    /** bf16 output, optional bias. */
    @LaunchBounds(threads = THREADS, minGroupsPerMultiprocessor = 2)
    public static void matmulTcBf16Out(KernelContext ctx, BF16Array y, int yRow0, F32Array x, int xRow0, BF16Array w,
                                       BF16Array bias, int rows, int n, int k, @Constant boolean hasBias) {
        tiled(ctx, x, y, true, x, xRow0, w, bias, hasBias, false, yRow0, rows, n, k);
    }

    static void tiled(KernelContext ctx, F32Array yF32, BF16Array yBf16, boolean bf16Out, F32Array x, int xRow0,
                      BF16Array w, BF16Array bias, boolean hasBias, boolean accumulate, int yRow0, int rows, int n, int k) {
        int tid = ctx.localIdx;
        int warp = tid >> 5;
        int rowBase = ctx.groupIdy * BM;
        int colBase = ctx.groupIdx * BN;
        int warpRow = (warp >> 2) * 64;
        int warpCol = (warp & 3) * 32;
        int[] aTile = ctx.allocateIntLocalArray(BM * STRIDE);
        int[] bTile = ctx.allocateIntLocalArray(BN * STRIDE);
        float[] c00 = new float[4]; float[] c01 = new float[4]; float[] c02 = new float[4]; float[] c03 = new float[4];
        float[] c10 = new float[4]; float[] c11 = new float[4]; float[] c12 = new float[4]; float[] c13 = new float[4];
        float[] c20 = new float[4]; float[] c21 = new float[4]; float[] c22 = new float[4]; float[] c23 = new float[4];
        float[] c30 = new float[4]; float[] c31 = new float[4]; float[] c32 = new float[4]; float[] c33 = new float[4];
        int[] a0 = new int[4]; int[] a1 = new int[4]; int[] a2 = new int[4]; int[] a3 = new int[4];
        int[] b0 = new int[2]; int[] b1 = new int[2]; int[] b2 = new int[2]; int[] b3 = new int[2];

        // Staging: work-item tid moves pair (tid & 15) of rows (tid >> 4) + 16·l, l < 8, of both slices;
        // the next slice's values wait in registers, raw (packing them would wait for the loads).
        int sRow = tid >> 4;
        int sCol = 2 * (tid & 15);
        int stage = sRow * STRIDE + (tid & 15);
        float xa0 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 0, sCol));
        float xb0 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 0, sCol + 1));
        float xa1 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 16, sCol));
        float xb1 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 16, sCol + 1));
        float xa2 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 32, sCol));
        float xb2 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 32, sCol + 1));
        float xa3 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 48, sCol));
        float xb3 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 48, sCol + 1));
        float xa4 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 64, sCol));
        float xb4 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 64, sCol + 1));
        float xa5 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 80, sCol));
        float xb5 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 80, sCol + 1));
        float xa6 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 96, sCol));
        float xb6 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 96, sCol + 1));
        float xa7 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 112, sCol));
        float xb7 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 112, sCol + 1));
        short wa0 = w.get(wIndex(n, k, colBase + sRow + 0, sCol));
        short wb0 = w.get(wIndex(n, k, colBase + sRow + 0, sCol + 1));
        short wa1 = w.get(wIndex(n, k, colBase + sRow + 16, sCol));
        short wb1 = w.get(wIndex(n, k, colBase + sRow + 16, sCol + 1));
        short wa2 = w.get(wIndex(n, k, colBase + sRow + 32, sCol));
        short wb2 = w.get(wIndex(n, k, colBase + sRow + 32, sCol + 1));
        short wa3 = w.get(wIndex(n, k, colBase + sRow + 48, sCol));
        short wb3 = w.get(wIndex(n, k, colBase + sRow + 48, sCol + 1));
        short wa4 = w.get(wIndex(n, k, colBase + sRow + 64, sCol));
        short wb4 = w.get(wIndex(n, k, colBase + sRow + 64, sCol + 1));
        short wa5 = w.get(wIndex(n, k, colBase + sRow + 80, sCol));
        short wb5 = w.get(wIndex(n, k, colBase + sRow + 80, sCol + 1));
        short wa6 = w.get(wIndex(n, k, colBase + sRow + 96, sCol));
        short wb6 = w.get(wIndex(n, k, colBase + sRow + 96, sCol + 1));
        short wa7 = w.get(wIndex(n, k, colBase + sRow + 112, sCol));
        short wb7 = w.get(wIndex(n, k, colBase + sRow + 112, sCol + 1));
        int frag = TensorCore.fragmentOffset(ctx, STRIDE);
        int aAt = warpRow * STRIDE + frag;
        int bAt = warpCol * STRIDE + frag;

        for (int k0 = 0; k0 < k; k0 += BK) {
            // Depths past k must be zeros (they would add to valid outputs); rows past rows or n
            // hold whatever element 0 is, which only reaches outputs that are not stored.
            boolean inA = k0 + sCol < k;
            boolean inB = k0 + sCol + 1 < k;
            aTile[stage + 0 * STRIDE] = TensorCore.packBf16(inA ? xa0 : 0.0f, inB ? xb0 : 0.0f);
            bTile[stage + 0 * STRIDE] = (inA ? wa0 & 0xffff : 0) | (inB ? wb0 << 16 : 0);
            aTile[stage + 16 * STRIDE] = TensorCore.packBf16(inA ? xa1 : 0.0f, inB ? xb1 : 0.0f);
            bTile[stage + 16 * STRIDE] = (inA ? wa1 & 0xffff : 0) | (inB ? wb1 << 16 : 0);
            aTile[stage + 32 * STRIDE] = TensorCore.packBf16(inA ? xa2 : 0.0f, inB ? xb2 : 0.0f);
            bTile[stage + 32 * STRIDE] = (inA ? wa2 & 0xffff : 0) | (inB ? wb2 << 16 : 0);
            aTile[stage + 48 * STRIDE] = TensorCore.packBf16(inA ? xa3 : 0.0f, inB ? xb3 : 0.0f);
            bTile[stage + 48 * STRIDE] = (inA ? wa3 & 0xffff : 0) | (inB ? wb3 << 16 : 0);
            aTile[stage + 64 * STRIDE] = TensorCore.packBf16(inA ? xa4 : 0.0f, inB ? xb4 : 0.0f);
            bTile[stage + 64 * STRIDE] = (inA ? wa4 & 0xffff : 0) | (inB ? wb4 << 16 : 0);
            aTile[stage + 80 * STRIDE] = TensorCore.packBf16(inA ? xa5 : 0.0f, inB ? xb5 : 0.0f);
            bTile[stage + 80 * STRIDE] = (inA ? wa5 & 0xffff : 0) | (inB ? wb5 << 16 : 0);
            aTile[stage + 96 * STRIDE] = TensorCore.packBf16(inA ? xa6 : 0.0f, inB ? xb6 : 0.0f);
            bTile[stage + 96 * STRIDE] = (inA ? wa6 & 0xffff : 0) | (inB ? wb6 << 16 : 0);
            aTile[stage + 112 * STRIDE] = TensorCore.packBf16(inA ? xa7 : 0.0f, inB ? xb7 : 0.0f);
            bTile[stage + 112 * STRIDE] = (inA ? wa7 & 0xffff : 0) | (inB ? wb7 << 16 : 0);
            ctx.localBarrier();
            if (k0 + BK < k) {
                int next = k0 + BK + sCol;
                xa0 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 0, next));
                xb0 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 0, next + 1));
                xa1 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 16, next));
                xb1 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 16, next + 1));
                xa2 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 32, next));
                xb2 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 32, next + 1));
                xa3 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 48, next));
                xb3 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 48, next + 1));
                xa4 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 64, next));
                xb4 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 64, next + 1));
                xa5 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 80, next));
                xb5 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 80, next + 1));
                xa6 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 96, next));
                xb6 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 96, next + 1));
                xa7 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 112, next));
                xb7 = x.get(xIndex(xRow0, rows, k, rowBase + sRow + 112, next + 1));
                wa0 = w.get(wIndex(n, k, colBase + sRow + 0, next));
                wb0 = w.get(wIndex(n, k, colBase + sRow + 0, next + 1));
                wa1 = w.get(wIndex(n, k, colBase + sRow + 16, next));
                wb1 = w.get(wIndex(n, k, colBase + sRow + 16, next + 1));
                wa2 = w.get(wIndex(n, k, colBase + sRow + 32, next));
                wb2 = w.get(wIndex(n, k, colBase + sRow + 32, next + 1));
                wa3 = w.get(wIndex(n, k, colBase + sRow + 48, next));
                wb3 = w.get(wIndex(n, k, colBase + sRow + 48, next + 1));
                wa4 = w.get(wIndex(n, k, colBase + sRow + 64, next));
                wb4 = w.get(wIndex(n, k, colBase + sRow + 64, next + 1));
                wa5 = w.get(wIndex(n, k, colBase + sRow + 80, next));
                wb5 = w.get(wIndex(n, k, colBase + sRow + 80, next + 1));
                wa6 = w.get(wIndex(n, k, colBase + sRow + 96, next));
                wb6 = w.get(wIndex(n, k, colBase + sRow + 96, next + 1));
                wa7 = w.get(wIndex(n, k, colBase + sRow + 112, next));
                wb7 = w.get(wIndex(n, k, colBase + sRow + 112, next + 1));
            }
            step(ctx, aTile, bTile, aAt, bAt, a0, a1, a2, a3, b0, b1, b2, b3,
                    c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33);
            step(ctx, aTile, bTile, aAt + 8, bAt + 8, a0, a1, a2, a3, b0, b1, b2, b3,
                    c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33);
            ctx.localBarrier();
        }

        int lane = ctx.laneId();
        int row = rowBase + warpRow + (lane >> 2);
        int col = colBase + warpCol + 2 * (lane & 3);
        storeTile(yF32, yBf16, bf16Out, bias, hasBias, accumulate, yRow0, rows, n, row + 0, col + 0, c00);
        storeTile(yF32, yBf16, bf16Out, bias, hasBias, accumulate, yRow0, rows, n, row + 0, col + 8, c01);
        storeTile(yF32, yBf16, bf16Out, bias, hasBias, accumulate, yRow0, rows, n, row + 0, col + 16, c02);
        storeTile(yF32, yBf16, bf16Out, bias, hasBias, accumulate, yRow0, rows, n, row + 0, col + 24, c03);
        storeTile(yF32, yBf16, bf16Out, bias, hasBias, accumulate, yRow0, rows, n, row + 16, col + 0, c10);
        storeTile(yF32, yBf16, bf16Out, bias, hasBias, accumulate, yRow0, rows, n, row + 16, col + 8, c11);
        storeTile(yF32, yBf16, bf16Out, bias, hasBias, accumulate, yRow0, rows, n, row + 16, col + 16, c12);
        storeTile(yF32, yBf16, bf16Out, bias, hasBias, accumulate, yRow0, rows, n, row + 16, col + 24, c13);
        storeTile(yF32, yBf16, bf16Out, bias, hasBias, accumulate, yRow0, rows, n, row + 32, col + 0, c20);
        storeTile(yF32, yBf16, bf16Out, bias, hasBias, accumulate, yRow0, rows, n, row + 32, col + 8, c21);
        storeTile(yF32, yBf16, bf16Out, bias, hasBias, accumulate, yRow0, rows, n, row + 32, col + 16, c22);
        storeTile(yF32, yBf16, bf16Out, bias, hasBias, accumulate, yRow0, rows, n, row + 32, col + 24, c23);
        storeTile(yF32, yBf16, bf16Out, bias, hasBias, accumulate, yRow0, rows, n, row + 48, col + 0, c30);
        storeTile(yF32, yBf16, bf16Out, bias, hasBias, accumulate, yRow0, rows, n, row + 48, col + 8, c31);
        storeTile(yF32, yBf16, bf16Out, bias, hasBias, accumulate, yRow0, rows, n, row + 48, col + 16, c32);
        storeTile(yF32, yBf16, bf16Out, bias, hasBias, accumulate, yRow0, rows, n, row + 48, col + 24, c33);
    }

    /** One k16 step of the warp's 64×32 sub-tile: 4 A and 4 B fragments, 16 mma. */
    private static void step(KernelContext ctx, int[] aTile, int[] bTile, int aAt, int bAt,
                             int[] a0, int[] a1, int[] a2, int[] a3, int[] b0, int[] b1, int[] b2, int[] b3,
                             float[] c00, float[] c01, float[] c02, float[] c03, float[] c10, float[] c11, float[] c12, float[] c13, float[] c20, float[] c21, float[] c22, float[] c23, float[] c30, float[] c31, float[] c32, float[] c33) {
        TensorCore.loadA(a0, aTile, aAt + 0 * STRIDE, STRIDE);
        TensorCore.loadA(a1, aTile, aAt + 16 * STRIDE, STRIDE);
        TensorCore.loadA(a2, aTile, aAt + 32 * STRIDE, STRIDE);
        TensorCore.loadA(a3, aTile, aAt + 48 * STRIDE, STRIDE);
        TensorCore.loadB(b0, bTile, bAt + 0 * STRIDE);
        TensorCore.loadB(b1, bTile, bAt + 8 * STRIDE);
        TensorCore.loadB(b2, bTile, bAt + 16 * STRIDE);
        TensorCore.loadB(b3, bTile, bAt + 24 * STRIDE);
        TensorCore.mmaBf16(ctx, c00, a0, b0);
        TensorCore.mmaBf16(ctx, c01, a0, b1);
        TensorCore.mmaBf16(ctx, c02, a0, b2);
        TensorCore.mmaBf16(ctx, c03, a0, b3);
        TensorCore.mmaBf16(ctx, c10, a1, b0);
        TensorCore.mmaBf16(ctx, c11, a1, b1);
        TensorCore.mmaBf16(ctx, c12, a1, b2);
        TensorCore.mmaBf16(ctx, c13, a1, b3);
        TensorCore.mmaBf16(ctx, c20, a2, b0);
        TensorCore.mmaBf16(ctx, c21, a2, b1);
        TensorCore.mmaBf16(ctx, c22, a2, b2);
        TensorCore.mmaBf16(ctx, c23, a2, b3);
        TensorCore.mmaBf16(ctx, c30, a3, b0);
        TensorCore.mmaBf16(ctx, c31, a3, b1);
        TensorCore.mmaBf16(ctx, c32, a3, b2);
        TensorCore.mmaBf16(ctx, c33, a3, b3);
    }

    /** The four values of one 16×8 accumulator tile (rows row, row + 8; columns col, col + 1). */
    private static void storeTile(F32Array yF32, BF16Array yBf16, boolean bf16Out, BF16Array bias, boolean hasBias,
                                  boolean accumulate, int yRow0, int rows, int n, int row, int col, float[] c) {
        Gemm.store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, false, yRow0, rows, n, row, col, c[0]);
        Gemm.store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, false, yRow0, rows, n, row, col + 1, c[1]);
        Gemm.store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, false, yRow0, rows, n, row + 8, col, c[2]);
        Gemm.store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, false, yRow0, rows, n, row + 8, col + 1, c[3]);
    }

    /**
     * The index of x[xRow0 + row][col], or 0 outside rows × k: the loads are unconditional and
     * their values are not looked at until the slice is staged, so that all of a slice's loads
     * are in flight at once.
     */
    private static int xIndex(int xRow0, int rows, int k, int row, int col) {
        return row < rows && col < k ? (xRow0 + row) * k + col : 0;
    }

    /** The index of W[row][col], or 0 outside n × k (see {@link #xIndex}). */
    private static int wIndex(int n, int k, int row, int col) {
        return row < n && col < k ? row * k + col : 0;
    }
}
