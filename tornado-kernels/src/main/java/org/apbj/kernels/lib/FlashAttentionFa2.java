package org.apbj.kernels.lib;

import org.apbj.kernels.api.AsyncCopy;
import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.Constant;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.KernelMath;
import org.apbj.kernels.api.LaunchBounds;
import org.apbj.kernels.api.TensorCore;
import org.apbj.kernels.api.Unroll;

/**
 * {@link FlashAttention} laid out as FlashAttention-2 lays out its sm_80 kernel: same arguments,
 * layouts, APB mask, GQA, key splits, (out, lse) and rounding (Q scaled by scale·log2 e and
 * rounded to bf16 once, P rounded to bf16 before P·V); selected by {@code
 * -Dapbj.attention.sm80=fa2} ({@link KernelOps#SM80_ATTENTION_PROPERTY}).
 *
 * <p>What differs from {@link FlashAttention}: a group of {@link #WARPS} warps owns {@link #BQ}
 * query rows and each warp 32 of them (two m16 row tiles), so every K or V fragment read from
 * shared memory by ldmatrix feeds two mma.sync: per product, S = Q·Kᵀ reads three quarters and
 * P·V half of what the 16-rows-per-warp kernel reads from shared memory, which bounds that
 * kernel. Q does not fit in registers next to 128 accumulators of O and 64 of S per lane, so it
 * is stored once into shared memory as bf16 and re-read by ldmatrix at each k step. K and V tiles
 * of {@link #BKV} keys arrive by cp.async into a two-stage ring: tile j + 1 is copied while tile
 * j is used, one barrier per tile. The mask, the online softmax step (base 2, two shuffles per
 * row), P packed from the S registers as P·V's A operand, and the store are {@link FlashAttention}'s.
 *
 * <p>Grid: {@code Grid.of(ceil(nq/BQ)·THREADS, nHeads, splits, THREADS, 1, 1)}. K and V rows
 * must start 16-byte aligned (head dims are multiples of 8, arrays are allocated aligned).
 * Shared memory: 102 KiB at any head dim (tiles sized for {@link #MAX_HEAD_DIM}): two groups per
 * multiprocessor of an H100/H200 (228 KiB), one of an A100 (164 KiB; FlashAttention-2 fits two
 * there with single K and V tiles).
 */
public final class FlashAttentionFa2 {
    private FlashAttentionFa2() {}

    public static final int WARPS = 4;
    public static final int THREADS = 32 * WARPS;
    /** Query rows per warp: two m16 tiles. */
    static final int WARP_ROWS = 32;
    public static final int BQ = WARP_ROWS * WARPS;
    /** Keys per tile; {@link FlashAttention#copyTile} fills a tile (same BKV and THREADS). */
    public static final int BKV = FlashAttention.BKV;
    public static final int MAX_HEAD_DIM = 128;
    /** Ints of one padded K or V tile at the largest head dim (one ring stage). */
    static final int TILE = BKV * (MAX_HEAD_DIM / 2 + 4);

    private static final float LOG2E = 1.4426950408889634f;

    /** Two groups per multiprocessor (≤ 255 registers; 2 × 102 KiB of shared memory). */
    @LaunchBounds(threads = THREADS, minGroupsPerMultiprocessor = 2)
    public static void attention(KernelContext ctx, F32Array out, F32Array lse, F32Array q, BF16Array k, BF16Array v,
                                 int nq, int p, int a, int b, @Constant boolean causal, int nHeads, int nKvHeads,
                                 @Constant int headDim, float scale, int keysPerSplit) {
        int stride = FlashAttention.stride(headDim);
        int[] qTile = ctx.allocateIntLocalArray(BQ * (MAX_HEAD_DIM / 2 + 4));
        int[] kTiles = ctx.allocateIntLocalArray(2 * TILE);
        int[] vTiles = ctx.allocateIntLocalArray(2 * TILE);
        int tid = ctx.localIdx;
        int lane = ctx.laneId();
        int warp = tid >> 5;
        // Causal groups late in the sequence see the most keys: start those first (shorter tail).
        int q0 = (causal ? ctx.globalGroupSizeX / THREADS - 1 - ctx.groupIdx : ctx.groupIdx) * BQ;
        int h = ctx.groupIdy;
        int split = ctx.groupIdz;
        int kvOffset = (h / (nHeads / nKvHeads)) * headDim;
        int kvStride = nKvHeads * headDim;
        int nKeys = p + a + b;

        int[] keys = new int[4];
        FlashAttention.keyRange(keys, q0, KernelMath.min(q0 + BQ, nq) - 1, split, keysPerSplit, nKeys, p, a, causal);
        int keyLo = keys[0];
        int keyEnd = keys[1];
        int fullLo = keys[2];
        int fullEnd = keys[3];

        // The first tile's copies go out before Q is stored: the two memory latencies overlap.
        int firstTile = keyLo - keyLo % BKV;
        if (firstTile < keyEnd) {
            FlashAttention.copyTile(ctx, kTiles, 0, k, firstTile, nKeys, kvStride, kvOffset, stride, headDim);
            FlashAttention.copyTile(ctx, vTiles, 0, v, firstTile, nKeys, kvStride, kvOffset, stride, headDim);
        }
        AsyncCopy.commit(ctx);
        storeQ(q, qTile, q0, tid, nq, nHeads * headDim, h * headDim, scale * LOG2E, headDim);

        // Per row tile m (rows row0 + 16m and row0 + 16m + 8 of this lane): S, O, P and the
        // statistics.
        float[] s0 = new float[4 * (BKV / 8)];
        float[] s1 = new float[4 * (BKV / 8)];
        float[] o0 = new float[4 * (MAX_HEAD_DIM / 8)];
        float[] o1 = new float[4 * (MAX_HEAD_DIM / 8)];
        int[] pf0 = new int[4 * (BKV / 16)];
        int[] pf1 = new int[4 * (BKV / 16)];
        float[] stats0 = new float[4];
        float[] stats1 = new float[4];
        FlashAttention.initStats(stats0);
        FlashAttention.initStats(stats1);
        int row0 = q0 + WARP_ROWS * warp + (lane >> 2);
        int qAt = WARP_ROWS * warp * stride + TensorCore.matrixOffsetA(ctx, stride);
        int kAt = TensorCore.matrixOffsetB(ctx, stride);
        int vAt = TensorCore.matrixOffsetA(ctx, stride);
        int stage = 0;
        for (int kt = firstTile; kt < keyEnd; kt += BKV) {
            // Tile kt has landed (and, the first time, every work-item's Q stores are done); every
            // warp has finished with the other stage, which now takes tile kt + BKV.
            AsyncCopy.waitPending(ctx, 0);
            ctx.localBarrier();
            if (kt + BKV < keyEnd) {
                int next = (stage ^ 1) * TILE;
                FlashAttention.copyTile(ctx, kTiles, next, k, kt + BKV, nKeys, kvStride, kvOffset, stride, headDim);
                FlashAttention.copyTile(ctx, vTiles, next, v, kt + BKV, nKeys, kvStride, kvOffset, stride, headDim);
                AsyncCopy.commit(ctx);
            }
            tile(ctx, s0, s1, o0, o1, pf0, pf1, stats0, stats1, qTile, qAt, kTiles, stage * TILE + kAt, vTiles,
                    stage * TILE + vAt, kt, row0, lane & 3, keyLo, keyEnd, fullLo, fullEnd, p, a, causal, headDim);
            stage ^= 1;
        }
        FlashAttention.store(ctx, out, lse, o0, stats0, row0, nq, nHeads, h, split, lane & 3, headDim);
        FlashAttention.store(ctx, out, lse, o1, stats1, row0 + 16, nq, nHeads, h, split, lane & 3, headDim);
    }

    /**
     * The group's BQ query rows, scaled and rounded to bf16, into the padded Q tile (row r at int
     * r·stride, rows past nq zeros): THREADS work-items, 8 dims each per step.
     */
    @Unroll
    private static void storeQ(F32Array q, int[] qTile, int q0, int tid, int nq, int qStride, int qOffset, float scale,
                               int headDim) {
        int stride = FlashAttention.stride(headDim);
        int chunksPerRow = headDim / 8;
        for (int i = 0; i < BQ * chunksPerRow / THREADS; i++) {
            int c = tid + THREADS * i;
            int row = c / chunksPerRow;
            int chunk = c % chunksPerRow;
            boolean in = q0 + row < nq;
            int src = (q0 + row) * qStride + qOffset + 8 * chunk;
            for (int j = 0; j < 4; j++) {
                float lo = in ? q.get(src + 2 * j) * scale : 0.0f;
                float hi = in ? q.get(src + 2 * j + 1) * scale : 0.0f;
                qTile[row * stride + 4 * chunk + j] = TensorCore.packBf16(lo, hi);
            }
        }
    }

    /**
     * The key tile at kt (K at kAt, V at vAt): S of both row tiles, the mask where the tile holds
     * a key some row does not see, the online softmax step, O += P·V.
     */
    @Unroll
    private static void tile(KernelContext ctx, float[] s0, float[] s1, float[] o0, float[] o1, int[] pf0, int[] pf1,
                             float[] stats0, float[] stats1, int[] qTile, int qAt, int[] kTiles, int kAt, int[] vTiles,
                             int vAt, int kt, int row0, int t, int keyLo, int keyEnd, int fullLo, int fullEnd, int p,
                             int a, boolean causal, int headDim) {
        scores(ctx, s0, s1, qTile, qAt, kTiles, kAt, BKV, headDim);
        if (kt < fullLo || kt + BKV > fullEnd) {
            FlashAttention.mask(s0, BKV, kt, row0, t, keyLo, keyEnd, p, a, causal);
            FlashAttention.mask(s1, BKV, kt, row0 + 16, t, keyLo, keyEnd, p, a, causal);
        }
        FlashAttention.softmax(ctx, s0, o0, pf0, stats0, BKV, headDim);
        FlashAttention.softmax(ctx, s1, o1, pf1, stats1, BKV, headDim);
        accumulate(ctx, o0, o1, pf0, pf1, vTiles, vAt, BKV, headDim);
    }

    /**
     * s0, s1 = Q·Kᵀ for the warp's two row tiles and the tile's BKV keys (log2 units: Q carries
     * scale·log2 e). Per k step: the two Q fragments, then each ldmatrix of K feeds four products.
     */
    @Unroll
    private static void scores(KernelContext ctx, float[] s0, float[] s1, int[] qTile, int qAt, int[] kTiles, int kAt,
                               int tileKeys, int headDim) {
        int stride = FlashAttention.stride(headDim);
        int[] qf = new int[8];
        int[] kf = new int[4];
        for (int i = 0; i < 4 * (tileKeys / 8); i++) {
            s0[i] = 0.0f;
            s1[i] = 0.0f;
        }
        for (int ks = 0; ks < headDim / 16; ks++) {
            TensorCore.loadMatrixX4(ctx, qf, 0, qTile, qAt + 8 * ks);
            TensorCore.loadMatrixX4(ctx, qf, 4, qTile, qAt + 16 * stride + 8 * ks);
            for (int np = 0; np < tileKeys / 16; np++) {
                TensorCore.loadMatrixX4(ctx, kf, 0, kTiles, kAt + 16 * np * stride + 8 * ks);
                TensorCore.mmaBf16(ctx, s0, 8 * np, qf, 0, kf, 0);
                TensorCore.mmaBf16(ctx, s0, 8 * np + 4, qf, 0, kf, 2);
                TensorCore.mmaBf16(ctx, s1, 8 * np, qf, 4, kf, 0);
                TensorCore.mmaBf16(ctx, s1, 8 * np + 4, qf, 4, kf, 2);
            }
        }
    }

    /** O += P·V for both row tiles: each ldmatrix.trans of V (keys × dims, k-major) feeds four products. */
    @Unroll
    private static void accumulate(KernelContext ctx, float[] o0, float[] o1, int[] pf0, int[] pf1, int[] vTiles, int vAt,
                                   int tileKeys, int headDim) {
        int stride = FlashAttention.stride(headDim);
        int[] vf = new int[4];
        for (int kk = 0; kk < tileKeys / 16; kk++) {
            for (int dp = 0; dp < headDim / 16; dp++) {
                TensorCore.loadMatrixX4Trans(ctx, vf, 0, vTiles, vAt + 16 * kk * stride + 8 * dp);
                TensorCore.mmaBf16(ctx, o0, 8 * dp, pf0, 4 * kk, vf, 0);
                TensorCore.mmaBf16(ctx, o0, 8 * dp + 4, pf0, 4 * kk, vf, 2);
                TensorCore.mmaBf16(ctx, o1, 8 * dp, pf1, 4 * kk, vf, 0);
                TensorCore.mmaBf16(ctx, o1, 8 * dp + 4, pf1, 4 * kk, vf, 2);
            }
        }
    }
}
