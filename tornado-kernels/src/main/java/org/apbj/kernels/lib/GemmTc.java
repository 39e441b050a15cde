package org.apbj.kernels.lib;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.Constant;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.LaunchBounds;
import org.apbj.kernels.api.TensorCore;
import org.apbj.kernels.api.Unroll;

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
 * {@link #STRIDE} ints so that the fragment loads (ldmatrix) of a warp hit 32 different banks; the next
 * slice is loaded into registers while the current one is multiplied. Depths past k read
 * as 0; rows past rows (or n) are read from element 0 and their outputs are not stored. Grid as Gemm's:
 * {@code Grid.of(ceil(n/BN)·THREADS, ceil(rows/BM), THREADS, 1)}.
 *
 * <p>The fixed-size work (staging, the two k16 steps, the epilogue) is in {@link Unroll} methods,
 * so the accumulators and fragments are private arrays indexed by constants: registers.
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
        float[] acc = new float[4 * WARP_TILES * WARP_TILES];   // 4×4 tiles of 16×8, tile (i, j) at 4·(4i + j)
        int[] af = new int[4 * WARP_TILES];
        int[] bf = new int[2 * WARP_TILES];
        // Staging: work-item tid moves pair (tid & 15) of rows (tid >> 4) + 16·l, l < 8, of both slices;
        // the next slice's values wait in registers, raw (packing them would wait for the loads).
        float[] xNext = new float[2 * STAGE_ROWS];
        int[] wNext = new int[2 * STAGE_ROWS];   // bf16 bits, sign-extended as a short would be
        int sRow = tid >> 4;
        int sCol = 2 * (tid & 15);
        int stage = sRow * STRIDE + (tid & 15);
        fetch(x, xRow0, w, rows, n, k, rowBase + sRow, colBase + sRow, sCol, xNext, wNext);
        int aAt = warpRow * STRIDE + TensorCore.matrixOffsetA(ctx, STRIDE);
        int bAt = warpCol * STRIDE + TensorCore.matrixOffsetB(ctx, STRIDE);

        for (int k0 = 0; k0 < k; k0 += BK) {
            // Depths past k must be zeros (they would add to valid outputs); rows past rows or n
            // hold whatever element 0 is, which only reaches outputs that are not stored.
            stageSlice(aTile, bTile, stage, k0 + sCol < k, k0 + sCol + 1 < k, xNext, wNext);
            ctx.localBarrier();
            if (k0 + BK < k) fetch(x, xRow0, w, rows, n, k, rowBase + sRow, colBase + sRow, k0 + BK + sCol, xNext, wNext);
            multiplySlice(ctx, aTile, bTile, aAt, bAt, af, bf, acc);
            ctx.localBarrier();
        }

        int lane = ctx.laneId();
        storeTiles(yF32, yBf16, bf16Out, bias, hasBias, accumulate, yRow0, rows, n, rowBase + warpRow + (lane >> 2),
                colBase + warpCol + 2 * (lane & 3), acc);
    }

    /** Rows of the x and W slices one work-item stages (16 rows apart). */
    private static final int STAGE_ROWS = BM / 16;
    /** 16×8 mma tiles along each side of a warp's 64×32 sub-tile: 4 × 4 (rows by 16, columns by 8). */
    private static final int WARP_TILES = 4;

    /** Loads this work-item's pairs (column col, col + 1) of rows xRow + 16·l of x and wRow + 16·l of W. */
    @Unroll
    private static void fetch(F32Array x, int xRow0, BF16Array w, int rows, int n, int k, int xRow, int wRow, int col,
                              float[] xNext, int[] wNext) {
        for (int l = 0; l < STAGE_ROWS; l++) {
            for (int j = 0; j < 2; j++) {
                xNext[2 * l + j] = x.get(xIndex(xRow0, rows, k, xRow + 16 * l, col + j));
                wNext[2 * l + j] = w.get(wIndex(n, k, wRow + 16 * l, col + j));
            }
        }
    }

    /** Packs the fetched pairs into the shared slices (as bf16 pairs); depths past k become zeros. */
    @Unroll
    private static void stageSlice(int[] aTile, int[] bTile, int stage, boolean inA, boolean inB, float[] xNext,
                                   int[] wNext) {
        for (int l = 0; l < STAGE_ROWS; l++) {
            aTile[stage + 16 * l * STRIDE] = TensorCore.packBf16(inA ? xNext[2 * l] : 0.0f, inB ? xNext[2 * l + 1] : 0.0f);
            bTile[stage + 16 * l * STRIDE] = (inA ? wNext[2 * l] & 0xffff : 0) | (inB ? wNext[2 * l + 1] << 16 : 0);
        }
    }

    /** The two k16 steps of a slice for the warp's 64×32 sub-tile: 4 A and 2×2 B fragments (6 ldmatrix), 16 mma each. */
    @Unroll
    private static void multiplySlice(KernelContext ctx, int[] aTile, int[] bTile, int aAt, int bAt, int[] af, int[] bf,
                                      float[] acc) {
        for (int ks = 0; ks < BK / 16; ks++) {
            for (int i = 0; i < WARP_TILES; i++) TensorCore.loadMatrixX4(ctx, af, 4 * i, aTile, aAt + 16 * i * STRIDE + 8 * ks);
            for (int jp = 0; jp < WARP_TILES / 2; jp++) {
                TensorCore.loadMatrixX4(ctx, bf, 4 * jp, bTile, bAt + 16 * jp * STRIDE + 8 * ks);
            }
            for (int i = 0; i < WARP_TILES; i++) {
                for (int j = 0; j < WARP_TILES; j++) TensorCore.mmaBf16(ctx, acc, 4 * (WARP_TILES * i + j), af, 4 * i, bf, 2 * j);
            }
        }
    }

    /** Tile (i, j)'s four values go to rows row + 16i (+ 8), columns col + 8j (+ 1). */
    @Unroll
    private static void storeTiles(F32Array yF32, BF16Array yBf16, boolean bf16Out, BF16Array bias, boolean hasBias,
                                   boolean accumulate, int yRow0, int rows, int n, int row, int col, float[] acc) {
        for (int i = 0; i < WARP_TILES; i++) {
            for (int j = 0; j < WARP_TILES; j++) {
                for (int e = 0; e < 4; e++) {
                    Gemm.store(yF32, yBf16, bf16Out, bias, hasBias, accumulate, false, yRow0, rows, n,
                            row + 16 * i + 8 * (e >> 1), col + 8 * j + (e & 1), acc[4 * (WARP_TILES * i + j) + e]);
                }
            }
        }
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
