package org.apbj.kernels.lib;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.TensorCore;
import org.apbj.kernels.api.Unroll;
import org.apbj.kernels.api.WarpGroup;

/**
 * A test kernel for {@link WarpGroup#mmaBf16RegA} alone: one warpgroup computes
 * {@code d[64×N] = a[64×16] · b[16×N] + c} (row-major bf16 a and b, fp32 c and d), with A's
 * fragments read from device memory by the documented layout and B written by rows into a
 * swizzled tile of two 64-column blocks; then a second product of the same operands with
 * accumulate on, so that d = c + 2·a·b checks both settings.
 */
public final class WarpGroupRegAKernels {
    private WarpGroupRegAKernels() {}

    public static final int N = 128;
    /** 16 k rows per 64-column block: two 1024-byte atoms. */
    static final int BLOCK_INTS = 2 * WarpGroup.ATOM_INTS;

    public static void product(KernelContext ctx, F32Array d, BF16Array a, BF16Array b, F32Array c) {
        int[] bTile = ctx.allocateIntLocalArray(2 * BLOCK_INTS);
        int tid = ctx.localIdx;
        for (int i = tid; i < 16 * (N / 8); i += WarpGroup.SIZE) {
            int k = i / (N / 8);
            int chunk = i % (N / 8);
            int at = WarpGroup.swizzled((chunk >> 3) * BLOCK_INTS, k, chunk & 7);
            for (int j = 0; j < 4; j++) {
                bTile[at + j] = TensorCore.packBf16(b.getFloat(k * N + 8 * chunk + 2 * j), b.getFloat(k * N + 8 * chunk + 2 * j + 1));
            }
        }
        WarpGroup.fenceAsyncProxy(ctx);
        ctx.localBarrier();
        int lane = ctx.laneId();
        int row = 16 * (tid >> 5) + (lane >> 2);
        int col = 2 * (lane & 3);
        int[] fa = new int[4];
        fa[0] = pair(a, row * 16 + col);
        fa[1] = pair(a, (row + 8) * 16 + col);
        fa[2] = pair(a, row * 16 + col + 8);
        fa[3] = pair(a, (row + 8) * 16 + col + 8);
        float[] acc = new float[N / 2];
        WarpGroup.fence(ctx);
        WarpGroup.mmaBf16RegA(ctx, acc, 0, N, fa, 0, bTile, 0, BLOCK_INTS, false);
        WarpGroup.mmaBf16RegA(ctx, acc, 0, N, fa, 0, bTile, 0, BLOCK_INTS, true);
        WarpGroup.commit(ctx);
        WarpGroup.waitPending(ctx, 0);
        store(d, c, acc, row, col);
    }

    private static int pair(BF16Array a, int i) {
        return TensorCore.packBf16(a.getFloat(i), a.getFloat(i + 1));
    }

    /** Accumulator 4j + e is d[row + 8·(e / 2)][col + 8j + e % 2]. */
    @Unroll
    private static void store(F32Array d, F32Array c, float[] acc, int row, int col) {
        for (int j = 0; j < N / 8; j++) {
            for (int e = 0; e < 4; e++) {
                int at = (row + 8 * (e >> 1)) * N + col + 8 * j + (e & 1);
                d.set(at, acc[4 * j + e] + c.get(at));
            }
        }
    }
}
