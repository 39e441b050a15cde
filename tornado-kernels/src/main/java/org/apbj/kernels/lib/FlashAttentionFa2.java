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
 * of {@link #BKV} keys arrive by cp.async into a ring of two (or three) stages: tile j + 1 is
 * copied while tile j is used, one barrier per tile. The mask, P packed from the S registers as
 * P·V's A operand, and the store are {@link FlashAttention}'s; the online softmax step (base 2,
 * two shuffles per row) is {@link FlashAttention}'s in the original {@link Form} and this class's
 * own (maxNum maxima, O rescaled after both row tiles' steps, lazily) in the default one.
 *
 * <p>Grid: {@code Grid.of(ceil(nq/BQ)·THREADS, nHeads, splits, THREADS, 1, 1)}. K and V rows
 * must start 16-byte aligned (head dims are multiples of 8, arrays are allocated aligned).
 * Shared memory at any head dim (tiles sized for {@link #MAX_HEAD_DIM}): 102 KiB padded with two
 * stages, 96 KiB swizzled (128 KiB with three): two groups per multiprocessor of an H100/H200
 * (228 KiB) with two stages, one of an A100 (164 KiB; FlashAttention-2 fits two there with single
 * K and V tiles).
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
    /** Ints of one swizzled K or V tile at the largest head dim: no padding. */
    static final int SWIZZLED_TILE = BKV * (MAX_HEAD_DIM / 2);
    /** The most K (and V) tiles in the ring. */
    public static final int MAX_STAGES = 3;
    /**
     * With {@link Form#lazyRescale} a row keeps its running max until a tile's exceeds it by more
     * than this (log2 units): its weights then reach 2^8 at most, harmless in bf16 P and fp32
     * sums, and O is rescaled only in the rare tile where some row of the warp moves its max.
     * FlashAttention-4 rescales conditionally the same way.
     */
    static final float RESCALE_THRESHOLD = 8.0f;

    /** Form flag: the softmax's running max with {@link KernelMath#maxNum} (one instruction, not Java's four). */
    public static final int FAST_MAX = 1;
    /** Form flag: {@link Form#lazyRescale}. */
    public static final int LAZY_RESCALE = 2;
    /** Form flag: Q, K and V tiles XOR-swizzled (16-byte chunk c of row r at c ^ (r % 8)) instead of padded. */
    public static final int SWIZZLE = 4;
    /** The {@code fa2Form} bits above this hold the ring depth. */
    static final int STAGES_SHIFT = 4;

    private static final float LOG2E = 1.4426950408889634f;

    /**
     * How the kernel computes (its {@code @Constant int fa2Form} argument, {@link #bits}): the
     * softmax's max instruction, whether O is rescaled only when a warp's row max moves, padded or
     * swizzled shared tiles, and the depth of the K/V ring. Same results to fp32 rounding (bit for
     * bit without lazyRescale).
     *
     * @param fastMax      running maxima by {@link KernelMath#maxNum}
     * @param lazyRescale  a row's max moves only when a tile's exceeds it by {@link #RESCALE_THRESHOLD};
     *                     O is rescaled (both row tiles, after both softmax steps) only when some row of
     *                     the warp moved (one warp reduction a tile)
     * @param swizzle      XOR-swizzled tiles (96 KiB at two stages instead of 102 KiB; one XOR per
     *                     ldmatrix address)
     * @param stages       K/V tiles in the ring, 2 or 3 (three: 128 KiB swizzled, one group per
     *                     multiprocessor)
     */
    public record Form(boolean fastMax, boolean lazyRescale, boolean swizzle, int stages) {
        /** The kernel before these choices existed. */
        public static final Form ORIGINAL = new Form(false, false, false, 2);
        /** The default: fast max and lazy rescale, padded tiles, two stages. */
        public static final Form DEFAULT = new Form(true, true, false, 2);

        public Form {
            if (stages < 2 || stages > MAX_STAGES) {
                throw new IllegalArgumentException("the FlashAttentionFa2 K/V ring has 2 or " + MAX_STAGES
                        + " stages, not " + stages);
            }
        }

        /**
         * Parses {@code original}, {@code default} or '+'-joined parts {@code fast-max},
         * {@code lazy-rescale}, {@code swizzle}, {@code s2}/{@code s3} (absent parts: off, 2 stages),
         * e.g. {@code fast-max+lazy-rescale+swizzle+s3}.
         */
        public static Form parse(String spec) {
            String t = spec.trim();
            if (t.equals("original")) return ORIGINAL;
            if (t.equals("default")) return DEFAULT;
            boolean fastMax = false, lazy = false, swizzle = false;
            int stages = 2;
            for (String part : t.split("\\+")) {
                switch (part.trim()) {
                    case "fast-max" -> fastMax = true;
                    case "lazy-rescale" -> lazy = true;
                    case "swizzle" -> swizzle = true;
                    case "s2" -> stages = 2;
                    case "s3" -> stages = 3;
                    default -> throw new IllegalArgumentException("unknown part '" + part + "' of FlashAttentionFa2 form '"
                            + spec + "': use original, default, or fast-max, lazy-rescale, swizzle, s2|s3 joined by '+'");
                }
            }
            return new Form(fastMax, lazy, swizzle, stages);
        }

        /** The kernel's {@code fa2Form} argument. */
        public int bits() {
            return (fastMax ? FAST_MAX : 0) | (lazyRescale ? LAZY_RESCALE : 0) | (swizzle ? SWIZZLE : 0)
                    | stages << STAGES_SHIFT;
        }

        /** The spec {@link #parse} reads back. */
        @Override
        public String toString() {
            if (equals(ORIGINAL)) return "original";
            String parts = (fastMax ? "+fast-max" : "") + (lazyRescale ? "+lazy-rescale" : "") + (swizzle ? "+swizzle" : "");
            return (parts + "+s" + stages).substring(1);
        }
    }

    /** Ints of one K or V stage: padded rows, or swizzled ones without padding. */
    static int tileInts(int fa2Form) {
        return (fa2Form & SWIZZLE) != 0 ? SWIZZLED_TILE : TILE;
    }

    /** Ints of the Q tile. */
    static int qInts(int fa2Form) {
        return (fa2Form & SWIZZLE) != 0 ? BQ * (MAX_HEAD_DIM / 2) : BQ * (MAX_HEAD_DIM / 2 + 4);
    }

    /** Ints per shared row: headDim / 2 pairs, plus 4 of padding unless swizzled. */
    static int rowInts(int headDim, boolean swizzle) {
        return swizzle ? headDim / 2 : FlashAttention.stride(headDim);
    }

    /**
     * The int index of 16-byte chunk {@code chunk} of row {@code row}: padded (chunk 4 ints
     * apart, rows {@link #rowInts} apart, ldmatrix rows in distinct banks by the padding) or
     * swizzled (chunk c at c ^ (row % 8): the eight rows an ldmatrix reads at one chunk hit eight
     * different 16-byte bank groups, as FlashAttention-2's Swizzle&lt;3,3,3&gt; does).
     */
    static int chunkAt(int row, int chunk, int rowInts, boolean swizzle) {
        return row * rowInts + 4 * (swizzle ? chunk ^ (row & 7) : chunk);
    }

    /** Two groups per multiprocessor (≤ 255 registers; 2 × 102 KiB of shared memory, 2 × 96 swizzled). */
    @LaunchBounds(threads = THREADS, minGroupsPerMultiprocessor = 2)
    public static void attention(KernelContext ctx, F32Array out, F32Array lse, F32Array q, BF16Array k, BF16Array v,
                                 int nq, int p, int a, int b, @Constant boolean causal, int nHeads, int nKvHeads,
                                 @Constant int headDim, float scale, int keysPerSplit, @Constant int fa2Form) {
        boolean swizzle = (fa2Form & SWIZZLE) != 0;
        int stages = fa2Form >> STAGES_SHIFT;
        int rowInts = rowInts(headDim, swizzle);
        int tileInts = tileInts(fa2Form);
        int[] qTile = ctx.allocateIntLocalArray(qInts(fa2Form));
        int[] kTiles = ctx.allocateIntLocalArray(stages * tileInts);
        int[] vTiles = ctx.allocateIntLocalArray(stages * tileInts);
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

        // The first tiles' copies (one group per stage but the last) go out before Q is stored:
        // the memory latencies overlap.
        int firstTile = keyLo - keyLo % BKV;
        for (int i = 0; i < stages - 1; i++) {
            int tileAt = firstTile + BKV * i;
            if (tileAt < keyEnd) {
                copyTile(ctx, kTiles, i * tileInts, k, tileAt, nKeys, kvStride, kvOffset, rowInts, swizzle, headDim);
                copyTile(ctx, vTiles, i * tileInts, v, tileAt, nKeys, kvStride, kvOffset, rowInts, swizzle, headDim);
            }
            AsyncCopy.commit(ctx);
        }
        storeQ(q, qTile, q0, tid, nq, nHeads * headDim, h * headDim, scale * LOG2E, rowInts, swizzle, headDim);

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
        // This lane's ldmatrix rows (row % 8 = lane % 8 in every one) and its chunk within a k step
        // (0 or 1); swizzled, the chunk's XOR with the row (y < 8) is all a k step needs.
        int rowA = (lane & 7) + 8 * ((lane >> 3) & 1);
        int rowB = (lane & 7) + 8 * (lane >> 4);
        int yA = swizzle ? (lane >> 4) ^ (lane & 7) : lane >> 4;
        int yB = swizzle ? ((lane >> 3) & 1) ^ (lane & 7) : (lane >> 3) & 1;
        // Padded, the lane's chunk is a fixed offset: in the base, not in every k step's address.
        int qAt = (WARP_ROWS * warp + rowA) * rowInts + (swizzle ? 0 : 4 * yA);
        int kAt = rowB * rowInts + (swizzle ? 0 : 4 * yB);
        int vAt = rowA * rowInts + (swizzle ? 0 : 4 * yA);
        int stage = 0;
        for (int kt = firstTile; kt < keyEnd; kt += BKV) {
            // Tile kt has landed (and, the first time, every work-item's Q stores are done); every
            // warp has finished with the stage it used last, which now takes tile kt + (stages-1)·BKV.
            AsyncCopy.waitPending(ctx, stages - 2);
            ctx.localBarrier();
            int ahead = kt + (stages - 1) * BKV;
            int aheadStage = stage + stages - 1;
            if (aheadStage >= stages) aheadStage -= stages;
            if (ahead < keyEnd) {
                copyTile(ctx, kTiles, aheadStage * tileInts, k, ahead, nKeys, kvStride, kvOffset, rowInts,
                        swizzle, headDim);
                copyTile(ctx, vTiles, aheadStage * tileInts, v, ahead, nKeys, kvStride, kvOffset, rowInts,
                        swizzle, headDim);
            }
            AsyncCopy.commit(ctx);
            tile(ctx, s0, s1, o0, o1, pf0, pf1, stats0, stats1, qTile, qAt, kTiles, stage * tileInts + kAt, vTiles,
                    stage * tileInts + vAt, yA, yB, kt, row0, lane & 3, keyLo, keyEnd, fullLo, fullEnd, p, a, causal,
                    rowInts, fa2Form, headDim);
            stage = stage + 1 == stages ? 0 : stage + 1;
        }
        FlashAttention.store(ctx, out, lse, o0, stats0, row0, nq, nHeads, h, split, lane & 3, headDim);
        FlashAttention.store(ctx, out, lse, o1, stats1, row0 + 16, nq, nHeads, h, split, lane & 3, headDim);
    }

    /**
     * Starts the copies of key rows [row0, row0 + BKV) of one KV head into the tile at int index
     * {@code at} (rows past nKeys read as zeros): 16 bytes per copy, THREADS copies at a time.
     * (Offsets computed once per kernel instead, three more live registers, brought spills back.)
     */
    @Unroll
    private static void copyTile(KernelContext ctx, int[] tile, int at, BF16Array src, int row0, int nKeys, int kvStride,
                                 int kvOffset, int rowInts, boolean swizzle, int headDim) {
        int chunksPerRow = headDim / 8;
        for (int i = 0; i < BKV * chunksPerRow / THREADS; i++) {
            int c = ctx.localIdx + THREADS * i;
            int row = c / chunksPerRow;
            int chunk = c % chunksPerRow;
            int key = row0 + row;
            AsyncCopy.copy16(ctx, tile, at + chunkAt(row, chunk, rowInts, swizzle), src,
                    key * kvStride + kvOffset + 8 * chunk, key < nKeys);
        }
    }

    /**
     * The group's BQ query rows, scaled and rounded to bf16, into the Q tile (rows past nq zeros):
     * THREADS work-items, 8 dims each per step.
     */
    @Unroll
    private static void storeQ(F32Array q, int[] qTile, int q0, int tid, int nq, int qStride, int qOffset, float scale,
                               int rowInts, boolean swizzle, int headDim) {
        int chunksPerRow = headDim / 8;
        for (int i = 0; i < BQ * chunksPerRow / THREADS; i++) {
            int c = tid + THREADS * i;
            int row = c / chunksPerRow;
            int chunk = c % chunksPerRow;
            boolean in = q0 + row < nq;
            int src = (q0 + row) * qStride + qOffset + 8 * chunk;
            int at = chunkAt(row, chunk, rowInts, swizzle);
            for (int j = 0; j < 4; j++) {
                float lo = in ? q.get(src + 2 * j) * scale : 0.0f;
                float hi = in ? q.get(src + 2 * j + 1) * scale : 0.0f;
                qTile[at + j] = TensorCore.packBf16(lo, hi);
            }
        }
    }

    /**
     * The offset within a row of the lane's ldmatrix chunk at k step {@code ks} (chunks 2ks and
     * 2ks + 1 of the step; y the lane's chunk XORed with its row % 8): swizzled 2ks ^ y; padded 2ks
     * (the lane's chunk is in its base offset). ks is a compile-time constant.
     */
    private static int stepAt(int ks, int y, boolean swizzle) {
        return 4 * (swizzle ? (2 * ks) ^ y : 2 * ks);
    }

    /**
     * The key tile at kt (K at kAt, V at vAt): S of both row tiles, the mask where the tile holds
     * a key some row does not see, the online softmax step, O += P·V.
     */
    @Unroll
    private static void tile(KernelContext ctx, float[] s0, float[] s1, float[] o0, float[] o1, int[] pf0, int[] pf1,
                             float[] stats0, float[] stats1, int[] qTile, int qAt, int[] kTiles, int kAt, int[] vTiles,
                             int vAt, int yA, int yB, int kt, int row0, int t, int keyLo, int keyEnd, int fullLo,
                             int fullEnd, int p, int a, boolean causal, int rowInts, int fa2Form, int headDim) {
        boolean swizzle = (fa2Form & SWIZZLE) != 0;
        scores(ctx, s0, s1, qTile, qAt, yA, kTiles, kAt, yB, rowInts, swizzle, headDim);
        if (kt < fullLo || kt + BKV > fullEnd) {
            FlashAttention.mask(s0, BKV, kt, row0, t, keyLo, keyEnd, p, a, causal);
            FlashAttention.mask(s1, BKV, kt, row0 + 16, t, keyLo, keyEnd, p, a, causal);
        }
        if ((fa2Form & (FAST_MAX | LAZY_RESCALE)) == 0) {
            FlashAttention.softmax(ctx, s0, o0, pf0, stats0, BKV, headDim);
            FlashAttention.softmax(ctx, s1, o1, pf1, stats1, BKV, headDim);
        } else {
            softmaxPair(ctx, s0, s1, o0, o1, pf0, pf1, stats0, stats1, (fa2Form & FAST_MAX) != 0,
                    (fa2Form & LAZY_RESCALE) != 0, headDim);
        }
        accumulate(ctx, o0, o1, pf0, pf1, vTiles, vAt, yA, rowInts, swizzle, BKV, headDim);
    }

    /**
     * The online softmax step of both row tiles (maxima by maxNum with {@code fastMax}, else by
     * Java's max): both exponentiated and packed into P first, O rescaled after (S is dead by then:
     * fewer live registers than rescaling O between the two). With {@code lazy} O is rescaled only
     * when some row of the warp moved its max (the flags ORed over the warp; the branch is uniform).
     */
    @Unroll
    private static void softmaxPair(KernelContext ctx, float[] s0, float[] s1, float[] o0, float[] o1, int[] pf0,
                                    int[] pf1, float[] stats0, float[] stats1, boolean fastMax, boolean lazy,
                                    int headDim) {
        float[] rescale0 = new float[2];
        float[] rescale1 = new float[2];
        int moved = exponentiate(ctx, s0, stats0, rescale0, fastMax, lazy);
        FlashAttention.packP(s0, pf0, BKV);
        moved |= exponentiate(ctx, s1, stats1, rescale1, fastMax, lazy);
        FlashAttention.packP(s1, pf1, BKV);
        // The four lanes of a row share its flags: OR over the warp's eight rows is three shuffles.
        if (lazy) {
            moved |= ctx.shuffleXor(moved, 4);
            moved |= ctx.shuffleXor(moved, 8);
            moved |= ctx.shuffleXor(moved, 16);
        }
        if (!lazy || moved != 0) {
            FlashAttention.rescale(o0, rescale0, headDim);
            FlashAttention.rescale(o1, rescale1, headDim);
        }
    }

    /**
     * {@link FlashAttention#exponentiate}, maxima by maxNum with {@code fastMax}; with {@code lazy} a row keeps its max
     * unless the tile's exceeds it by more than {@link #RESCALE_THRESHOLD} (its factor is then
     * exactly 1). Returns 1 when a row's max moved, else 0.
     */
    @Unroll
    private static int exponentiate(KernelContext ctx, float[] s, float[] stats, float[] rescale, boolean fastMax,
                                    boolean lazy) {
        int moved = 0;
        for (int r = 0; r < 2; r++) {
            float old = stats[r];
            // The row's maxima as a tree (depth 4 over 16 scores, not 16): the softmax step's
            // latency is what the other warp of the scheduler must cover with its products.
            float[] level = new float[BKV / 8];
            for (int n = 0; n < BKV / 8; n++) level[n] = max(s[4 * n + 2 * r], s[4 * n + 2 * r + 1], fastMax);
            for (int width = BKV / 16; width >= 1; width /= 2) {
                for (int n = 0; n < width; n++) level[n] = max(level[n], level[n + width], fastMax);
            }
            float max = max(old, level[0], fastMax);
            max = max(max, ctx.shuffleXor(max, 1), fastMax);
            max = max(max, ctx.shuffleXor(max, 2), fastMax);
            // Lazy: -inf + threshold is -inf, so a row's first seen key always sets its max.
            if (lazy && max <= old + RESCALE_THRESHOLD) max = old;
            // A row that has seen no key yet keeps max -inf: its weights are 0, nothing to rescale.
            float base = max == Float.NEGATIVE_INFINITY ? 0.0f : max;
            boolean same = max == old;
            rescale[r] = same ? 1.0f : KernelMath.exp2Approx(old - base);
            if (!same) moved = 1;
            stats[r] = max;
            // Two running sums (each key pair's weights added first): a chain of 8 additions, not 32.
            float sum0 = 0.0f;
            float sum1 = 0.0f;
            for (int n = 0; n < BKV / 8; n++) {
                float w0 = KernelMath.exp2Approx(s[4 * n + 2 * r] - base);
                float w1 = KernelMath.exp2Approx(s[4 * n + 2 * r + 1] - base);
                s[4 * n + 2 * r] = w0;
                s[4 * n + 2 * r + 1] = w1;
                if ((n & 1) == 0) sum0 += w0 + w1;
                else sum1 += w0 + w1;
            }
            stats[2 + r] = stats[2 + r] * rescale[r] + (sum0 + sum1);
        }
        return moved;
    }

    /** maxNum with {@code fast} (one instruction), else Java's max (four); fast is a compile-time constant. */
    private static float max(float a, float b, boolean fast) {
        return fast ? KernelMath.maxNum(a, b) : KernelMath.max(a, b);
    }

    /**
     * s0, s1 = Q·Kᵀ for the warp's two row tiles and the tile's BKV keys (log2 units: Q carries
     * scale·log2 e). Per k step: the two Q fragments, then each ldmatrix of K feeds four products.
     */
    @Unroll
    private static void scores(KernelContext ctx, float[] s0, float[] s1, int[] qTile, int qAt, int yA, int[] kTiles,
                               int kAt, int yB, int rowInts, boolean swizzle, int headDim) {
        int[] qf = new int[8];
        int[] kf = new int[4];
        for (int i = 0; i < 4 * (BKV / 8); i++) {
            s0[i] = 0.0f;
            s1[i] = 0.0f;
        }
        for (int ks = 0; ks < headDim / 16; ks++) {
            int qStep = qAt + stepAt(ks, yA, swizzle);
            int kStep = kAt + stepAt(ks, yB, swizzle);
            TensorCore.loadMatrixX4(ctx, qf, 0, qTile, qStep);
            TensorCore.loadMatrixX4(ctx, qf, 4, qTile, qStep + 16 * rowInts);
            for (int np = 0; np < BKV / 16; np++) {
                TensorCore.loadMatrixX4(ctx, kf, 0, kTiles, kStep + 16 * np * rowInts);
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
                                   int yA, int rowInts, boolean swizzle, int tileKeys, int headDim) {
        int[] vf = new int[4];
        for (int kk = 0; kk < tileKeys / 16; kk++) {
            for (int dp = 0; dp < headDim / 16; dp++) {
                TensorCore.loadMatrixX4Trans(ctx, vf, 0, vTiles, vAt + 16 * kk * rowInts + stepAt(dp, yA, swizzle));
                TensorCore.mmaBf16(ctx, o0, 8 * dp, pf0, 4 * kk, vf, 0);
                TensorCore.mmaBf16(ctx, o0, 8 * dp + 4, pf0, 4 * kk, vf, 2);
                TensorCore.mmaBf16(ctx, o1, 8 * dp, pf1, 4 * kk, vf, 0);
                TensorCore.mmaBf16(ctx, o1, 8 * dp + 4, pf1, 4 * kk, vf, 2);
            }
        }
    }
}
