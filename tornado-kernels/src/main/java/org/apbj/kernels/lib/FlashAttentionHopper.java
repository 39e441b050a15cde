package org.apbj.kernels.lib;

import org.apbj.kernels.api.AsyncCopy;
import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.Constant;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.KernelMath;
import org.apbj.kernels.api.LaunchBounds;
import org.apbj.kernels.api.TensorCore;
import org.apbj.kernels.api.Unroll;
import org.apbj.kernels.api.WarpGroup;

/**
 * {@link Attention} on Hopper warpgroup products (wgmma, sm_90a): same arguments, layouts, APB
 * mask, GQA, key splits and (out, lse) as {@link FlashAttention}, and the same rounding (Q
 * scaled by scale·log2 e and rounded to bf16 as it is loaded, P rounded to bf16 before P·V).
 *
 * <p>A group of {@link #WARPGROUPS} warpgroups owns {@link #BQ} query rows of one head;
 * warpgroup g owns rows 64g … 64g + 63. Q is stored once into shared memory as 128-byte-swizzled
 * bf16 tiles ({@link WarpGroup}). Keys stream in tiles of {@link #BKV}: K and V land by cp.async
 * in a two-stage ring of swizzled tiles (tile t + 1 is copied while tile t is used), so a K tile
 * is the B operand of S = Q·Kᵀ as it stands (K-major) and a V tile, stored [key][dim], is the B
 * operand of P·V read by rows of k ({@link WarpGroup#mmaBf16RegA}). S lands in registers in the
 * mma.m16n8 layout per warp, which is the layout {@link FlashAttention} softmaxes; P is packed
 * from it into A fragments in registers (no trip through shared memory), and O accumulates in
 * registers. The mask, the softmax step and the final store are {@link FlashAttention}'s. Only
 * tiles with a masked element test the mask; tiles no row of the group sees
 * are skipped.
 *
 * <p>The last five arguments select dense prefill's form (both constant flags off otherwise):
 * {@code ropeQ} rotates Q by RoPE as it is loaded (query row r at {@code positions[r]},
 * {@link #storeRotatedQ}), {@code bf16Out} stores the output as bf16 pairs into {@code outBf16}
 * instead of out (one key split only). {@link FlashAttentionHopperWs} takes the same after its schedule.
 *
 * <p>Grid: {@code Grid.of(ceil(nq/BQ)·THREADS, nHeads, splits, THREADS, 1, 1)}. K and V rows
 * must start 16-byte aligned (head dims are 64 or 128, arrays are allocated aligned).
 */
public final class FlashAttentionHopper {
    private FlashAttentionHopper() {}

    public static final int WARPGROUPS = 2;
    public static final int THREADS = WARPGROUPS * WarpGroup.SIZE;
    public static final int BQ = WARPGROUPS * WarpGroup.M;
    public static final int BKV = 128;
    public static final int MAX_HEAD_DIM = 128;
    /** Ints of one 64-dim column block of a K or V tile (BKV swizzled rows); blocks of a tile follow each other. */
    static final int BLOCK = BKV * WarpGroup.ROW_INTS;
    /** Ints of one K or V tile at the largest head dim (one ring stage). */
    static final int TILE = BLOCK * (MAX_HEAD_DIM / WarpGroup.ROW_ELEMENTS);
    /** Ints of one 64-dim column block of the Q tile. */
    static final int Q_BLOCK = BQ * WarpGroup.ROW_INTS;

    private static final float LOG2E = 1.4426950408889634f;

    /** One group per multiprocessor: 160 KiB of shared memory at d = 128, ≤ 255 registers per work-item. */
    @LaunchBounds(threads = THREADS, minGroupsPerMultiprocessor = 1)
    public static void attention(KernelContext ctx, F32Array out, F32Array lse, F32Array q, BF16Array k, BF16Array v,
                                 int nq, int p, int a, int b, @Constant boolean causal, int nHeads, int nKvHeads,
                                 @Constant int headDim, float scale, int keysPerSplit, I32Array outBf16,
                                 @Constant boolean bf16Out, I32Array positions, F32Array invFreq,
                                 @Constant boolean ropeQ) {
        int[] qTile = ctx.allocateIntLocalArray(Q_BLOCK * (MAX_HEAD_DIM / WarpGroup.ROW_ELEMENTS));
        int[] kTiles = ctx.allocateIntLocalArray(2 * TILE);
        int[] vTiles = ctx.allocateIntLocalArray(2 * TILE);
        int tid = ctx.localIdx;
        int lane = ctx.laneId();
        int warp = tid >> 5;
        int group = tid >> 7;
        int q0 = FlashAttention.queryBlockStart(ctx, causal, THREADS, BQ);
        int h = ctx.groupIdy;
        int split = ctx.groupIdz;
        int kvOffset = FlashAttention.kvHeadOffset(h, nHeads, nKvHeads, headDim);
        int kvStride = nKvHeads * headDim;
        int nKeys = p + a + b;

        int[] keys = new int[4];
        FlashAttention.blockKeyRange(keys, q0, BQ, nq, split, keysPerSplit, nKeys, p, a, causal);
        int keyLo = keys[0];
        int keyEnd = keys[1];
        int fullLo = keys[2];
        int fullEnd = keys[3];

        float[] s = new float[BKV / 2];
        float[] o = new float[MAX_HEAD_DIM / 2];
        int[] pf = new int[4 * (BKV / 16)];
        float[] stats = new float[4];   // running max (base 2) and sum of rows g and g + 8 of this lane
        int row0 = q0 + 16 * warp + (lane >> 2);
        if (ropeQ) {
            storeRotatedQ(q, qTile, 0, q0, 0, BQ, THREADS, tid, nq, nHeads * headDim, h * headDim, scale * LOG2E, headDim,
                    positions, invFreq);
        } else {
            storeQ(q, qTile, 0, q0, 0, BQ, THREADS, tid, nq, nHeads * headDim, h * headDim, scale * LOG2E, headDim);
        }
        FlashAttention.initStats(stats);

        int firstTile = keyLo - keyLo % BKV;
        if (firstTile < keyEnd) {
            copyTile(ctx, kTiles, k, 0, firstTile, nKeys, kvStride, kvOffset, tid, THREADS, headDim);
            copyTile(ctx, vTiles, v, 0, firstTile, nKeys, kvStride, kvOffset, tid, THREADS, headDim);
        }
        AsyncCopy.commit(ctx);
        int stage = 0;
        for (int kt = firstTile; kt < keyEnd; kt += BKV) {
            // Tile kt has landed: the fence hands it (and Q's stores) to the tensor cores, the
            // barrier from every work-item to all, and tells that the other stage is free.
            AsyncCopy.waitPending(ctx, 0);
            WarpGroup.fenceAsyncProxy(ctx);
            ctx.localBarrier();
            if (kt + BKV < keyEnd) {
                copyTile(ctx, kTiles, k, (stage ^ 1) * TILE, kt + BKV, nKeys, kvStride, kvOffset, tid, THREADS, headDim);
                copyTile(ctx, vTiles, v, (stage ^ 1) * TILE, kt + BKV, nKeys, kvStride, kvOffset, tid, THREADS, headDim);
            }
            AsyncCopy.commit(ctx);

            WarpGroup.fence(ctx);
            scores(ctx, s, qTile, group * WarpGroup.M * WarpGroup.ROW_INTS, kTiles, stage * TILE, headDim);
            WarpGroup.commit(ctx);
            WarpGroup.waitPending(ctx, 0);
            if (kt < fullLo || kt + BKV > fullEnd) {
                FlashAttention.mask(s, BKV, kt, row0, lane & 3, keyLo, keyEnd, p, a, causal);
            }
            FlashAttention.softmax(ctx, s, o, pf, stats, BKV, headDim);

            WarpGroup.fence(ctx);
            accumulate(ctx, o, pf, vTiles, stage * TILE, headDim);
            WarpGroup.commit(ctx);
            WarpGroup.waitPending(ctx, 0);
            stage ^= 1;
        }
        AsyncCopy.waitPending(ctx, 0);
        if (bf16Out) {
            FlashAttention.storeBf16(ctx, outBf16, lse, o, stats, row0, nq, nHeads, h, lane & 3, headDim);
        } else {
            FlashAttention.store(ctx, out, lse, o, stats, row0, nq, nHeads, h, split, lane & 3, headDim);
        }
    }

    /**
     * Rows firstRow … firstRow + rows − 1 of the group's Q tile, scaled and rounded to bf16 into
     * the swizzled Q tile at {@code qAt} (rows past nq are zeros) by {@code threads} work-items
     * (tid 0 … threads − 1): 16-byte chunks of 8 dims, dims 64c… in column block c.
     */
    @Unroll
    static void storeQ(F32Array q, int[] qTile, int qAt, int q0, int firstRow, int rows, int threads, int tid, int nq, int qStride,
                       int qOffset, float scale, int headDim) {
        int chunksPerRow = headDim / 8;
        for (int i = 0; i < rows * chunksPerRow / threads; i++) {
            int c = tid + threads * i;
            int row = firstRow + c / chunksPerRow;
            int chunk = c % chunksPerRow;
            int at = WarpGroup.swizzled(qAt + (chunk >> 3) * Q_BLOCK, row, chunk & 7);
            boolean in = q0 + row < nq;
            int src = (q0 + row) * qStride + qOffset + 8 * chunk;
            for (int j = 0; j < 4; j++) {
                float lo = in ? q.get(src + 2 * j) * scale : 0.0f;
                float hi = in ? q.get(src + 2 * j + 1) * scale : 0.0f;
                qTile[at + j] = TensorCore.packBf16(lo, hi);
            }
        }
    }

    /**
     * {@link #storeQ} of q rotated by RoPE first, as {@link Rope#ropeF32} rotates it (same fp32
     * arithmetic, so the tile holds the same bf16 values): query row r of the group sits at
     * position {@code positions[q0 + r]}, pair (i, i + headDim/2) turns by positions·invFreq[i].
     * A work-item takes a chunk of 8 dims of the first half and its partner chunk of the second.
     */
    static void storeRotatedQ(F32Array q, int[] qTile, int qAt, int q0, int firstRow, int rows, int threads, int tid, int nq,
                              int qStride, int qOffset, float scale, int headDim, I32Array positions, F32Array invFreq) {
        int half = headDim / 2;
        int halfChunks = half / 8;
        for (int c = tid; c < rows * halfChunks; c += threads) {
            int row = firstRow + c / halfChunks;
            int chunk = c % halfChunks;
            int partner = chunk + halfChunks;
            int atLo = WarpGroup.swizzled(qAt + (chunk >> 3) * Q_BLOCK, row, chunk & 7);
            int atHi = WarpGroup.swizzled(qAt + (partner >> 3) * Q_BLOCK, row, partner & 7);
            boolean in = q0 + row < nq;
            int src = (q0 + row) * qStride + qOffset + 8 * chunk;
            int position = in ? positions.get(q0 + row) : 0;
            for (int j = 0; j < 4; j++) {
                int i = 8 * chunk + 2 * j;
                float angle0 = position * invFreq.get(i);
                float angle1 = position * invFreq.get(i + 1);
                float c0 = Rope.cosOf(angle0), s0 = Rope.sinOf(angle0);
                float c1 = Rope.cosOf(angle1), s1 = Rope.sinOf(angle1);
                float x0 = in ? q.get(src + 2 * j) : 0.0f;
                float x1 = in ? q.get(src + 2 * j + 1) : 0.0f;
                float y0 = in ? q.get(src + half + 2 * j) : 0.0f;
                float y1 = in ? q.get(src + half + 2 * j + 1) : 0.0f;
                qTile[atLo + j] = TensorCore.packBf16((x0 * c0 - y0 * s0) * scale, (x1 * c1 - y1 * s1) * scale);
                qTile[atHi + j] = TensorCore.packBf16((y0 * c0 + x0 * s0) * scale, (y1 * c1 + x1 * s1) * scale);
            }
        }
    }

    /**
     * Starts the copies of key rows [row0, row0 + BKV) of one KV head into the swizzled tile at
     * {@code at} (rows past nKeys read as zeros) by {@code threads} work-items (tid 0 … threads −
     * 1): 16 bytes per copy, neighbouring work-items on one row.
     */
    @Unroll
    static void copyTile(KernelContext ctx, int[] tiles, BF16Array src, int at, int row0, int nKeys, int kvStride,
                         int kvOffset, int tid, int threads, int headDim) {
        int chunksPerRow = headDim / 8;
        for (int i = 0; i < BKV * chunksPerRow / threads; i++) {
            int c = tid + threads * i;
            int row = c / chunksPerRow;
            int chunk = c % chunksPerRow;
            int key = row0 + row;
            boolean in = key < nKeys;
            AsyncCopy.copy16(ctx, tiles, WarpGroup.swizzled(at + (chunk >> 3) * BLOCK, row, chunk & 7), src,
                    in ? key * kvStride + kvOffset + 8 * chunk : 0, in);
        }
    }

    /** s = Q·Kᵀ for the warpgroup's 64 rows and the tile's BKV keys (in log2 units: Q carries scale·log2 e). */
    @Unroll
    static void scores(KernelContext ctx, float[] s, int[] qTile, int qAt, int[] kTiles, int kAt, int headDim) {
        for (int ks = 0; ks < headDim / WarpGroup.K; ks++) {
            int block = ks >> 2;
            int slice = 8 * (ks & 3);
            WarpGroup.mmaBf16(ctx, s, 0, BKV, qTile, qAt + block * Q_BLOCK + slice, kTiles, kAt + block * BLOCK + slice,
                    ks > 0);
        }
    }

    /** O += P·V for the tile: P from registers, V [key][dim] read by rows of keys, all head dims in one product per 16 keys. */
    @Unroll
    static void accumulate(KernelContext ctx, float[] o, int[] pf, int[] vTiles, int vAt, int headDim) {
        for (int kk = 0; kk < BKV / WarpGroup.K; kk++) {
            WarpGroup.mmaBf16RegA(ctx, o, 0, headDim, pf, 4 * kk, vTiles, vAt + 2 * WarpGroup.ATOM_INTS * kk, BLOCK, true);
        }
    }
}
