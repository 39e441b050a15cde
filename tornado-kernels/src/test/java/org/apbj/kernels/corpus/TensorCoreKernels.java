package org.apbj.kernels.corpus;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.AsyncCopy;
import org.apbj.kernels.api.TensorCore;
import org.apbj.kernels.api.Unroll;

/**
 * Corpus: warp-level tensor-core products. Each warp w computes one tile: A (16 rows of
 * {@code kDim} bf16, row-major) times B (given as Bᵀ, 8 rows of kDim bf16) plus C (16×8
 * fp32 row-major) into D; tiles lie one after another in the arrays.
 */
public final class TensorCoreKernels {
    private TensorCoreKernels() {}

    public static final int GROUP = 64;
    /** Shared tiles of the staged kernel: rows of 16 k pairs plus 4 ints of padding. */
    static final int STRIDE = 20;

    /** K = 16: fragments read straight from global memory, one mma. */
    public static void mmaTile(KernelContext ctx, F32Array d, BF16Array a, BF16Array bt, F32Array c) {
        int w = ctx.globalIdx >> 5;
        int lane = ctx.laneId();
        int g = lane >> 2;
        int t = lane & 3;
        int aBase = w * 256 + g * 16 + 2 * t;
        int bBase = w * 128 + g * 16 + 2 * t;
        int cBase = w * 128 + g * 8 + 2 * t;
        int[] fa = new int[4];
        int[] fb = new int[2];
        float[] acc = new float[4];
        fa[0] = pair(a, aBase);
        fa[1] = pair(a, aBase + 128);
        fa[2] = pair(a, aBase + 8);
        fa[3] = pair(a, aBase + 136);
        fb[0] = pair(bt, bBase);
        fb[1] = pair(bt, bBase + 8);
        acc[0] = c.get(cBase);
        acc[1] = c.get(cBase + 1);
        acc[2] = c.get(cBase + 64);
        acc[3] = c.get(cBase + 65);
        TensorCore.mmaBf16(ctx, acc, fa, fb);
        d.set(cBase, acc[0]);
        d.set(cBase + 1, acc[1]);
        d.set(cBase + 64, acc[2]);
        d.set(cBase + 65, acc[3]);
    }

    /**
     * K = 32: each warp stages its A (16×32) and Bᵀ (8×32) as packed pairs in shared memory,
     * loads fragments with TensorCore.loadA/loadB and chains two mma.
     */
    public static void mmaStaged(KernelContext ctx, F32Array d, BF16Array a, BF16Array bt, F32Array c) {
        int[] aTile = ctx.allocateIntLocalArray(GROUP / 32 * 16 * STRIDE);
        int[] bTile = ctx.allocateIntLocalArray(GROUP / 32 * 8 * STRIDE);
        int w = ctx.globalIdx >> 5;
        int warp = ctx.warpId();
        int lane = ctx.laneId();
        int aOrigin = warp * 16 * STRIDE;
        int bOrigin = warp * 8 * STRIDE;
        // 16 rows × 16 pairs of A and 8 × 16 of B: 8 and 4 pairs per lane
        for (int e = lane; e < 256; e += 32) {
            int row = e >> 4, p = e & 15;
            aTile[aOrigin + row * STRIDE + p] = TensorCore.packBf16(a.getFloat(w * 512 + row * 32 + 2 * p),
                    a.getFloat(w * 512 + row * 32 + 2 * p + 1));
        }
        for (int e = lane; e < 128; e += 32) {
            int row = e >> 4, p = e & 15;
            bTile[bOrigin + row * STRIDE + p] = TensorCore.packBf16(bt.getFloat(w * 256 + row * 32 + 2 * p),
                    bt.getFloat(w * 256 + row * 32 + 2 * p + 1));
        }
        ctx.localBarrier();
        int g = lane >> 2;
        int t = lane & 3;
        int cBase = w * 128 + g * 8 + 2 * t;
        float[] acc = new float[4];
        acc[0] = c.get(cBase);
        acc[1] = c.get(cBase + 1);
        acc[2] = c.get(cBase + 64);
        acc[3] = c.get(cBase + 65);
        int[] fa = new int[4];
        int[] fb = new int[2];
        int off = TensorCore.fragmentOffset(ctx, STRIDE);
        TensorCore.loadA(fa, aTile, aOrigin + off, STRIDE);
        TensorCore.loadB(fb, bTile, bOrigin + off);
        TensorCore.mmaBf16(ctx, acc, fa, fb);
        TensorCore.loadA(fa, aTile, aOrigin + off + 8, STRIDE);
        TensorCore.loadB(fb, bTile, bOrigin + off + 8);
        TensorCore.mmaBf16(ctx, acc, fa, fb);
        d.set(cBase, acc[0]);
        d.set(cBase + 1, acc[1]);
        d.set(cBase + 64, acc[2]);
        d.set(cBase + 65, acc[3]);
    }

    /**
     * ldmatrix: each warp stages A (16×16) and Bᵀ (16×16: two 8-column tiles) in shared memory,
     * loads the A fragment and both B fragments with one loadMatrixX4 each and computes the
     * 16×16 D = A·B + C (C, D row-major 16×16 per warp) with two mma.
     */
    public static void mmaLdmatrix(KernelContext ctx, F32Array d, BF16Array a, BF16Array bt, F32Array c) {
        int[] aTile = ctx.allocateIntLocalArray(GROUP / 32 * 16 * STRIDE);
        int[] bTile = ctx.allocateIntLocalArray(GROUP / 32 * 16 * STRIDE);
        int w = ctx.globalIdx >> 5;
        int origin = ctx.warpId() * 16 * STRIDE;
        int lane = ctx.laneId();
        for (int e = lane; e < 128; e += 32) {
            int row = e >> 3, p = e & 7;
            aTile[origin + row * STRIDE + p] = pair(a, w * 256 + row * 16 + 2 * p);
            bTile[origin + row * STRIDE + p] = pair(bt, w * 256 + row * 16 + 2 * p);
        }
        ctx.localBarrier();
        int[] fa = new int[4];
        int[] fb = new int[4];
        TensorCore.loadMatrixX4(ctx, fa, aTile, origin + TensorCore.matrixOffsetA(ctx, STRIDE));
        TensorCore.loadMatrixX4(ctx, fb, bTile, origin + TensorCore.matrixOffsetB(ctx, STRIDE));
        int[] b0 = new int[2];
        int[] b1 = new int[2];
        b0[0] = fb[0];
        b0[1] = fb[1];
        b1[0] = fb[2];
        b1[1] = fb[3];
        int g = lane >> 2;
        int t = lane & 3;
        int base = w * 256 + g * 16 + 2 * t;
        float[] left = new float[4];
        float[] right = new float[4];
        left[0] = c.get(base);
        left[1] = c.get(base + 1);
        left[2] = c.get(base + 128);
        left[3] = c.get(base + 129);
        right[0] = c.get(base + 8);
        right[1] = c.get(base + 9);
        right[2] = c.get(base + 136);
        right[3] = c.get(base + 137);
        TensorCore.mmaBf16(ctx, left, fa, b0);
        TensorCore.mmaBf16(ctx, right, fa, b1);
        d.set(base, left[0]);
        d.set(base + 1, left[1]);
        d.set(base + 128, left[2]);
        d.set(base + 129, left[3]);
        d.set(base + 8, right[0]);
        d.set(base + 9, right[1]);
        d.set(base + 136, right[2]);
        d.set(base + 137, right[3]);
    }

    /**
     * The Hopper-era vocabulary in one warp-level product: A (16×16, row-major) and B (16 k rows
     * × 16 columns, k-major) reach shared memory by {@link AsyncCopy} (16-byte copies, the last
     * row group of B zero-filled when {@code bRows} &lt; 16), A's fragment comes by ldmatrix and
     * B's by ldmatrix.trans, and an {@link Unroll} loop issues the two mma with fragment offsets:
     * D (16×16) = A·B + C.
     */
    public static void mmaAsyncTrans(KernelContext ctx, F32Array d, BF16Array a, BF16Array b, F32Array c, int bRows) {
        int[] aTile = ctx.allocateIntLocalArray(GROUP / 32 * 16 * STRIDE);
        int[] bTile = ctx.allocateIntLocalArray(GROUP / 32 * 16 * STRIDE);
        int w = ctx.globalIdx >> 5;
        int origin = ctx.warpId() * 16 * STRIDE;
        int lane = ctx.laneId();
        int row = lane >> 1;
        int half = lane & 1;
        AsyncCopy.copy16(ctx, aTile, origin + row * STRIDE + 4 * half, a, w * 256 + row * 16 + 8 * half, true);
        AsyncCopy.copy16(ctx, bTile, origin + row * STRIDE + 4 * half, b, w * 256 + row * 16 + 8 * half, row < bRows);
        AsyncCopy.commit(ctx);
        AsyncCopy.waitPending(ctx, 0);
        ctx.localBarrier();
        int[] fa = new int[4];
        int[] fb = new int[4];
        TensorCore.loadMatrixX4(ctx, fa, 0, aTile, origin + TensorCore.matrixOffsetA(ctx, STRIDE));
        TensorCore.loadMatrixX4Trans(ctx, fb, 0, bTile, origin + TensorCore.matrixOffsetA(ctx, STRIDE));
        float[] acc = new float[8];
        int base = w * 256 + (lane >> 2) * 16 + 2 * (lane & 3);
        twoTiles(ctx, c, d, base, acc, fa, fb);
    }

    /** Columns 0-7 and 8-15: load C, one mma each (offsets from the loop variable), store D. */
    @Unroll
    private static void twoTiles(KernelContext ctx, F32Array c, F32Array d, int base, float[] acc, int[] fa, int[] fb) {
        for (int j = 0; j < 2; j++) {
            for (int e = 0; e < 4; e++) acc[4 * j + e] = c.get(base + 8 * j + 128 * (e >> 1) + (e & 1));
            TensorCore.mmaBf16(ctx, acc, 4 * j, fa, 0, fb, 2 * j);
            for (int e = 0; e < 4; e++) d.set(base + 8 * j + 128 * (e >> 1) + (e & 1), acc[4 * j + e]);
        }
    }

    /** TensorCore.packBf16 on arbitrary bit patterns (rounding, overflow, subnormals, NaN). */
    public static void packPairs(KernelContext ctx, I32Array out, F32Array lo, F32Array hi) {
        int i = ctx.globalIdx;
        out.set(i, TensorCore.packBf16(lo.get(i), hi.get(i)));
    }

    /** Elements i (low half) and i + 1 (high half) as one packed int. */
    static int pair(BF16Array x, int i) {
        return (x.get(i) & 0xffff) | (x.get(i + 1) << 16);
    }
}
