package org.apbj.kernels.lib;

import org.apbj.kernels.api.AsyncCopy;
import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.BulkCopy;
import org.apbj.kernels.api.Constant;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.KernelMath;
import org.apbj.kernels.api.LaunchBounds;
import org.apbj.kernels.api.Mbarrier;
import org.apbj.kernels.api.NamedBarrier;
import org.apbj.kernels.api.TensorMap;
import org.apbj.kernels.api.WarpGroup;

/**
 * {@link FlashAttentionHopper} warp-specialised and pipelined, FlashAttention-3 style: same
 * arguments, layouts, APB mask, GQA, key splits, (out, lse) and rounding, same tiles (BQ = 128
 * query rows, BKV = 128 keys, Q and the K/V stages as swizzled bf16), the same products.
 * What changes is who waits for what:
 * <ul>
 * <li>A producer warpgroup only copies: K and V tiles by cp.async into a ring of 2 or
 * {@link #MAX_STAGES} stages, each copy completing the stage's "full" mbarrier (K and V have their own, so S = Q·Kᵀ
 * can start before V has landed); the consumers release a K stage once its S product is done
 * and a V stage once its P·V product is, on "empty" mbarriers. The producer gives registers to
 * the consumers (setmaxnreg). No group-wide barrier in the loop.</li>
 * <li>Each consumer warpgroup (64 query rows) overlaps its own softmax with its products: in
 * step j it issues S_j = Q·K_jᵀ and O += P_{j−1}·V_{j−1} back to back, then exponentiates S_j
 * while P_{j−1}·V_{j−1} still runs, and rescales O and packs P_j only after it finished
 * (FlashAttention.exponentiate / rescale / packP: the same arithmetic as the single-role kernel,
 * O rescaled before the product that adds to it rather than after).</li>
 * <li>The two consumers take turns issuing products (two named barriers, "ping-pong"): while
 * one warpgroup's products occupy the tensor cores the other runs its softmax on the special
 * function units.</li>
 * </ul>
 *
 * <p>Three launch-time choices ({@link Schedule}) change how the work is laid out, not what is
 * computed: the depth of the K/V ring ({@code stages}: 2, or 3 = 224 KiB of shared memory at
 * d = 128), the causal launch order ({@code longestFirst}: the groups with the most key tiles
 * of every head first, so the last wave is made of the shortest groups; else the longest of
 * each head first, head after head) and each consumer walking only the key tiles its own 64
 * rows see ({@code ownKeyRanges}; the tiles it skips it only releases, and it takes turns only
 * over the steps both consumers run, see {@link #consume}); a fourth, for the TMA producer only,
 * the order of its loads ({@code kAhead}, {@link #K_AHEAD}).
 *
 * <p>{@link #attentionTma} is the same kernel with another producer: one work-item issuing bulk
 * tensor copies (TMA) of K and V through tensor maps ({@link #kvMap}), as FlashAttention-3 feeds
 * its consumers; opt-in ({@code -Dapbj.attention.producer=tma}, see {@link KernelOps}).
 *
 * <p>Runs on sm_90a and on the Java device (whose work-items are threads); OpenCL has no
 * hand-offs between work-items and runs {@link FlashAttentionHopper}. Grid:
 * {@code Grid.of(ceil(nq/BQ)·THREADS, nHeads, splits, THREADS, 1, 1)}.
 */
public final class FlashAttentionHopperWs {
    private FlashAttentionHopperWs() {}

    public static final int CONSUMERS = 2;
    public static final int THREADS = (CONSUMERS + 1) * WarpGroup.SIZE;
    public static final int BQ = CONSUMERS * WarpGroup.M;
    public static final int BKV = FlashAttentionHopper.BKV;
    /** Schedule flag: causal groups numbered longest first across heads. */
    public static final int LONGEST_FIRST = 1;
    /** Schedule flag: each consumer works only on the key tiles its own rows see. */
    public static final int OWN_KEY_RANGES = 2;
    /**
     * Schedule flag of the TMA producer ({@link #attentionTma}): K of tile t + 1 is loaded before
     * V of tile t, in the order the consumers need them (step t + 1 starts with S_{t+1}, while
     * P_t·V_t comes second), as FlashAttention-3's producer does. With two stages, K_{t+1} then
     * waits only until both consumers' S_{t−1} products are done rather than their P_{t−2}·V_{t−2}.
     */
    public static final int K_AHEAD = 4;
    /** The most K (and V) tiles in the ring: 3 × 2 × 32 KiB + Q's 32 KiB = 224 KiB at d = 128 (227 KiB fit). */
    public static final int MAX_STAGES = 3;

    /**
     * How a launch lays out its work (the {@code @Constant} arguments after keysPerSplit): K/V
     * ring depth, causal launch order, per-consumer key ranges, and for the TMA producer the order
     * of its loads ({@code kAhead}). Same results either way.
     */
    public record Schedule(int stages, boolean longestFirst, boolean ownKeyRanges, boolean kAhead) {
        /** The schedule measured before these choices existed: 2 stages, head-by-head order, shared key range. */
        public static final Schedule ORIGINAL = new Schedule(2, false, false);
        /**
         * The default: the original schedule. On the H200 (same run) longest-first lifted causal 4K
         * by 20% and a 4096-row prefill chunk by 1.6% but cost the APB mask 9%; three stages helped
         * only at 4K. Both stay selectable.
         */
        public static final Schedule DEFAULT = new Schedule(2, false, false);

        public Schedule {
            if (stages < 2 || stages > MAX_STAGES) {
                throw new IllegalArgumentException("the K/V ring has 2 or " + MAX_STAGES + " stages, not " + stages);
            }
        }

        /** A schedule with the producer's loads in the plain order (K_t, V_t, K_{t+1}, ...). */
        public Schedule(int stages, boolean longestFirst, boolean ownKeyRanges) {
            this(stages, longestFirst, ownKeyRanges, false);
        }

        /**
         * Parses {@code original}, {@code default} or '+'-joined parts {@code s2}/{@code s3},
         * {@code longest-first}, {@code own-ranges}, {@code k-ahead} (TMA producer only; absent
         * parts: 2 stages, off), e.g. {@code s3+longest-first+own-ranges}.
         */
        public static Schedule parse(String spec) {
            String t = spec.trim();
            if (t.equals("original")) return ORIGINAL;
            if (t.equals("default")) return DEFAULT;
            int stages = 2;
            boolean longest = false, own = false, kAhead = false;
            for (String part : t.split("\\+")) {
                switch (part.trim()) {
                    case "s2" -> stages = 2;
                    case "s3" -> stages = 3;
                    case "longest-first" -> longest = true;
                    case "own-ranges" -> own = true;
                    case "k-ahead" -> kAhead = true;
                    default -> throw new IllegalArgumentException("unknown part '" + part + "' of attention schedule '"
                            + spec + "': use original, default, or s2|s3 [+longest-first] [+own-ranges] [+k-ahead] joined by '+'");
                }
            }
            return new Schedule(stages, longest, own, kAhead);
        }

        /** The kernel's {@code scheduleFlags} argument: {@link #LONGEST_FIRST} | {@link #OWN_KEY_RANGES} | {@link #K_AHEAD}. */
        public int flags() {
            return (longestFirst ? LONGEST_FIRST : 0) | (ownKeyRanges ? OWN_KEY_RANGES : 0) | (kAhead ? K_AHEAD : 0);
        }

        /** The spec {@link #parse} reads back. */
        @Override
        public String toString() {
            return "s" + stages + (longestFirst ? "+longest-first" : "") + (ownKeyRanges ? "+own-ranges" : "")
                    + (kAhead ? "+k-ahead" : "");
        }
    }

    /**
     * Registers per work-item after setmaxnreg: S (64), P (32) and O (64) live together in a
     * consumer while a product runs. Consumers grow only by what the producer frees:
     * SIZE·(LAUNCH − PRODUCER) ≥ CONSUMERS·SIZE·(CONSUMER − LAUNCH), else setmaxnreg.inc waits forever.
     */
    static final int PRODUCER_REGISTERS = 24;
    /**
     * Work-items of the producer warpgroup that store Q in {@link #attentionTmaPersistent} with
     * qByProducer: its last two warps (the first holds the work-item that issues the copies).
     */
    static final int Q_LOADERS = 64;
    /**
     * The register split of {@link #attentionTmaPersistent} with qByProducer and ropeQ: storing Q
     * rotated by RoPE (angles, sines, cosines) spills in {@link #PRODUCER_REGISTERS} (ptxas, sm_90a:
     * 32–44 bytes), so the consumers give up 8 (the same rule: 128·(168 − 40) ≥ 2·128·(232 − 168)).
     * Plain Q fits the usual split, and there 232 consumer registers spilled once (d = 64 causal).
     */
    static final int Q_LOADER_PRODUCER_REGISTERS = 40;
    static final int Q_LOADER_CONSUMER_REGISTERS = 232;
    /** Ints of a Q tile (BQ rows at the largest head dim). */
    private static final int Q_TILE = FlashAttentionHopper.Q_BLOCK * (FlashAttentionHopper.MAX_HEAD_DIM / WarpGroup.ROW_ELEMENTS);
    static final int CONSUMER_REGISTERS = 240;
    /** What ptxas allots each of the THREADS work-items at launch: 65536 / 384, rounded down to 8. */
    static final int LAUNCH_REGISTERS = 65536 / THREADS / 8 * 8;

    // Named barriers: a consumer's turn to issue products (256 work-items: its own 128 and the
    // other consumer's 128 that pass the turn), and each consumer's own barrier after storing Q.
    private static final int TURN_0 = 1, TURN_1 = 2, Q_READY_0 = 3, Q_READY_1 = 4;
    // mbarrier words: full K at 0, full V at stages, empty K at 2·stages, empty V at 3·stages
    // (one per stage each): fullK(s), fullV(s), emptyK(s), emptyV(s) below.

    private static final float LOG2E = 1.4426950408889634f;

    /**
     * {@link FlashAttentionHopper#attention}'s arguments, then the {@link Schedule}: {@code stages}
     * (2 or 3; sizes shared memory, so a specialisation each) and {@link Schedule#flags()}
     * ({@link #LONGEST_FIRST}, {@link #OWN_KEY_RANGES}, and for {@link #attentionTma} {@link #K_AHEAD}:
     * they change only scalar values, not the code, so they stay run-time arguments).
     */
    @LaunchBounds(threads = THREADS, minGroupsPerMultiprocessor = 1)
    public static void attention(KernelContext ctx, F32Array out, F32Array lse, F32Array q, BF16Array k, BF16Array v,
                                 int nq, int p, int a, int b, @Constant boolean causal, int nHeads, int nKvHeads,
                                 @Constant int headDim, float scale, int keysPerSplit, @Constant int stages,
                                 int scheduleFlags, I32Array outBf16, @Constant boolean bf16Out, I32Array positions,
                                 F32Array invFreq, @Constant boolean ropeQ) {
        int[] qTile = ctx.allocateIntLocalArray(FlashAttentionHopper.Q_BLOCK
                * (FlashAttentionHopper.MAX_HEAD_DIM / WarpGroup.ROW_ELEMENTS));
        int[] kTiles = ctx.allocateIntLocalArray(stages * FlashAttentionHopper.TILE);
        int[] vTiles = ctx.allocateIntLocalArray(stages * FlashAttentionHopper.TILE);
        long[] bars = ctx.allocateLongLocalArray(4 * stages);
        int q0 = queryBlock(ctx, causal, scheduleFlags, nHeads) * BQ;
        int h = head(ctx, causal, scheduleFlags, nHeads);
        int kvOffset = FlashAttention.kvHeadOffset(h, nHeads, nKvHeads, headDim);
        int nKeys = p + a + b;
        int[] keys = new int[4];
        int firstTile = firstKeyTile(keys, q0, ctx.groupIdz, nq, keysPerSplit, nKeys, p, a, causal);
        int tiles = keyTiles(keys, firstTile);
        // full K and V: each producer work-item's copies arrive
        int role = startBarriers(ctx, bars, stages, WarpGroup.SIZE);
        if (role == 0) {
            WarpGroup.setMaxRegisters(ctx, PRODUCER_REGISTERS, false);
            produce(ctx, kTiles, vTiles, bars, k, v, firstTile, tiles, nKeys, nKvHeads * headDim, kvOffset, ctx.localIdx,
                    headDim, stages);
            return;
        }
        WarpGroup.setMaxRegisters(ctx, CONSUMER_REGISTERS, true);
        consumer(ctx, out, lse, q, qTile, kTiles, vTiles, bars, role - 1, q0, nq, p, a, nKeys, causal, nHeads, h, headDim,
                scale, keysPerSplit, ctx.groupIdz, keys, firstTile, tiles, 0, stages, scheduleFlags, false, outBf16,
                bf16Out, positions, invFreq, ropeQ, 0, false);
    }

    /**
     * {@link #attention} with K and V fed by the tensor memory accelerator (TMA), as FlashAttention-3
     * feeds them: {@code kMap} and {@code vMap} are {@link #kvMap} of K and V. One work-item of
     * the producer warpgroup issues, per K (and V) tile, one bulk tensor copy per 64-dim column
     * block (a 64 × BKV box, 128-byte swizzled: the layout the cp.async producer writes and the
     * consumers' products read), completing on the stage's full barrier armed with the tile's
     * bytes; keys past nKeys are rows outside the map and land as zeros. The rest of the producer
     * warpgroup has nothing to do but give its registers to the consumers. The consumers are
     * {@link #attention}'s, less the proxy fence after each wait (the copies write through the
     * async proxy that the products read through). Same results as {@link #attention}.
     */
    @LaunchBounds(threads = THREADS, minGroupsPerMultiprocessor = 1)
    public static void attentionTma(KernelContext ctx, F32Array out, F32Array lse, F32Array q, TensorMap kMap,
                                    TensorMap vMap, int nq, int p, int a, int b, @Constant boolean causal, int nHeads,
                                    int nKvHeads, @Constant int headDim, float scale, int keysPerSplit,
                                    @Constant int stages, int scheduleFlags, I32Array outBf16, @Constant boolean bf16Out,
                                    I32Array positions, F32Array invFreq, @Constant boolean ropeQ) {
        int[] qTile = ctx.allocateIntLocalArray(FlashAttentionHopper.Q_BLOCK
                * (FlashAttentionHopper.MAX_HEAD_DIM / WarpGroup.ROW_ELEMENTS));
        int[] kTiles = ctx.allocateIntLocalArray(stages * FlashAttentionHopper.TILE);
        int[] vTiles = ctx.allocateIntLocalArray(stages * FlashAttentionHopper.TILE);
        long[] bars = ctx.allocateLongLocalArray(4 * stages);
        int q0 = queryBlock(ctx, causal, scheduleFlags, nHeads) * BQ;
        int h = head(ctx, causal, scheduleFlags, nHeads);
        int nKeys = p + a + b;
        int[] keys = new int[4];
        int firstTile = firstKeyTile(keys, q0, ctx.groupIdz, nq, keysPerSplit, nKeys, p, a, causal);
        int tiles = keyTiles(keys, firstTile);
        // full K and V: the one issuing work-item's arrival (with the tile's bytes) and the copies' bytes
        int role = startBarriers(ctx, bars, stages, 1);
        if (role == 0) {
            WarpGroup.setMaxRegisters(ctx, PRODUCER_REGISTERS, false);
            if (ctx.localIdx == 0) {
                produceByTma(ctx, kTiles, vTiles, bars, kMap, vMap, firstTile, tiles, 0,
                        FlashAttention.kvHeadOffset(h, nHeads, nKvHeads, headDim), headDim, stages, scheduleFlags);
            }
            return;
        }
        WarpGroup.setMaxRegisters(ctx, CONSUMER_REGISTERS, true);
        consumer(ctx, out, lse, q, qTile, kTiles, vTiles, bars, role - 1, q0, nq, p, a, nKeys, causal, nHeads, h, headDim,
                scale, keysPerSplit, ctx.groupIdz, keys, firstTile, tiles, 0, stages, scheduleFlags, true, outBf16,
                bf16Out, positions, invFreq, ropeQ, 0, false);
    }

    /**
     * Fills {@code keys} with the key range of query block q0 in key split {@code split}
     * ({@link FlashAttention#keyRange}) and returns the first key of the BKV tile it starts in.
     */
    private static int firstKeyTile(int[] keys, int q0, int split, int nq, int keysPerSplit, int nKeys, int p, int a,
                                    boolean causal) {
        FlashAttention.blockKeyRange(keys, q0, BQ, nq, split, keysPerSplit, nKeys, p, a, causal);
        return keys[0] - keys[0] % BKV;
    }

    /** The BKV-key tiles from {@code firstTile} that cover the key range (0 when it is empty). */
    private static int keyTiles(int[] keys, int firstTile) {
        return keys[0] < keys[1] ? (keys[1] - firstTile + BKV - 1) / BKV : 0;
    }

    /**
     * {@link #attentionTma} as a persistent kernel, FlashAttention-3 style: each group (one per
     * multiprocessor, or fewer when there are fewer work items) walks the work items
     * groupIdx, groupIdx + groups, groupIdx + 2·groups, ... of {@link #workItem}'s fixed order
     * (longest first across heads when causal), so no group waits for a launch and no group's
     * start-up (barrier set-up, register hand-over) is paid per item. The K/V ring goes on from
     * item to item: the ring's tile r sits in stage r % stages whichever item it belongs to, so the
     * producer runs ahead into the next item's tiles while the consumers finish the current one
     * (each consumer releases every ring tile in order, as in one item; the turns balance within
     * each item, so they start over cleanly in the next). Each consumer stores its 64 rows of the
     * next item's Q once all its warps' last products of the current one are done (its own rows
     * only, so the other consumer's products are not held up); or, with {@code qByProducer},
     * {@link #Q_LOADERS} work-items of the producer warpgroup (idle otherwise) store each item's
     * whole Q tile into one of two Q buffers while the consumers work on the previous item, so a
     * consumer goes from one item's last product to the next's first without a trip to global
     * memory (buffer n % 2 for the group's n-th item, handed over on two "Q stored" and two "Q
     * read" mbarriers; 2 × 32 KiB of Q and two K/V stages make 192 KiB, so only with two stages).
     * The {@link Schedule}'s own key ranges and k-ahead apply; {@code longestFirst} is always on. {@code splits}: the key splits
     * (keysPerSplit each). Same results as {@link #attentionTma}, bit for bit. Grid:
     * {@code Grid.of(groups·THREADS, 1, 1, THREADS, 1, 1)}.
     */
    @LaunchBounds(threads = THREADS, minGroupsPerMultiprocessor = 1)
    public static void attentionTmaPersistent(KernelContext ctx, F32Array out, F32Array lse, F32Array q, TensorMap kMap,
                                              TensorMap vMap, int nq, int p, int a, int b, @Constant boolean causal,
                                              int nHeads, int nKvHeads, @Constant int headDim, float scale,
                                              int keysPerSplit, @Constant int stages, int scheduleFlags,
                                              I32Array outBf16, @Constant boolean bf16Out, I32Array positions,
                                              F32Array invFreq, @Constant boolean ropeQ, @Constant boolean qByProducer,
                                              int splits) {
        int[] qTile = ctx.allocateIntLocalArray((qByProducer ? 2 : 1) * Q_TILE);
        int[] kTiles = ctx.allocateIntLocalArray(stages * FlashAttentionHopper.TILE);
        int[] vTiles = ctx.allocateIntLocalArray(stages * FlashAttentionHopper.TILE);
        long[] bars = ctx.allocateLongLocalArray(4 * stages + 4);   // the ring's, then Q's (qByProducer)
        int groups = ctx.globalGroupSizeX / THREADS;
        int blocks = (nq + BQ - 1) / BQ;
        int items = blocks * nHeads * splits;
        int nKeys = p + a + b;
        int[] keys = new int[4];
        int[] item = new int[3];
        if (qByProducer && ctx.localIdx == 0) {
            for (int buffer = 0; buffer < 2; buffer++) {
                Mbarrier.init(ctx, bars, 4 * stages + buffer, Q_LOADERS);                          // Q stored
                Mbarrier.init(ctx, bars, 4 * stages + 2 + buffer, CONSUMERS * WarpGroup.SIZE);     // Q read
            }
        }
        int role = startBarriers(ctx, bars, stages, 1);   // its group-wide barrier also publishes Q's
        if (role == 0) {
            if (qByProducer && ropeQ) {
                WarpGroup.setMaxRegisters(ctx, Q_LOADER_PRODUCER_REGISTERS, false);
            } else {
                WarpGroup.setMaxRegisters(ctx, PRODUCER_REGISTERS, false);
            }
            if (ctx.localIdx == 0) {
                int ringBase = 0;
                for (int i = ctx.groupIdx; i < items; i += groups) {
                    workItem(item, i, blocks, nHeads, splits, causal);
                    int q0 = item[0] * BQ;
                    FlashAttention.keyRange(keys, q0, KernelMath.min(q0 + BQ, nq) - 1, item[2], keysPerSplit, nKeys, p,
                            a, causal);
                    int firstTile = keys[0] - keys[0] % BKV;
                    int tiles = keys[0] < keys[1] ? (keys[1] - firstTile + BKV - 1) / BKV : 0;
                    produceByTma(ctx, kTiles, vTiles, bars, kMap, vMap, firstTile, tiles, ringBase,
                            (item[1] / (nHeads / nKvHeads)) * headDim, headDim, stages, scheduleFlags);
                    ringBase += tiles;
                }
            } else if (qByProducer && ctx.localIdx >= WarpGroup.SIZE - Q_LOADERS) {
                // The group's n-th item's Q into buffer n % 2 once both consumers are done with item n − 2's.
                int n = 0;
                for (int i = ctx.groupIdx; i < items; i += groups) {
                    workItem(item, i, blocks, nHeads, splits, causal);
                    int buffer = n & 1;
                    if (n >= 2) Mbarrier.waitParity(ctx, bars, 4 * stages + 2 + buffer, ((n >> 1) - 1) & 1);
                    storeQTile(q, qTile, buffer * Q_TILE, item[0] * BQ, 0, BQ, Q_LOADERS,
                            ctx.localIdx - (WarpGroup.SIZE - Q_LOADERS), nq, nHeads, item[1], scale, headDim, positions,
                            invFreq, ropeQ);
                    WarpGroup.fenceAsyncProxy(ctx);   // the products read Q through the async proxy
                    Mbarrier.arrive(ctx, bars, 4 * stages + buffer);
                    n++;
                }
            }
            return;
        }
        if (qByProducer && ropeQ) {
            WarpGroup.setMaxRegisters(ctx, Q_LOADER_CONSUMER_REGISTERS, true);
        } else {
            WarpGroup.setMaxRegisters(ctx, CONSUMER_REGISTERS, true);
        }
        int ringBase = 0;
        int n = 0;
        for (int i = ctx.groupIdx; i < items; i += groups) {
            workItem(item, i, blocks, nHeads, splits, causal);
            int q0 = item[0] * BQ;
            FlashAttention.keyRange(keys, q0, KernelMath.min(q0 + BQ, nq) - 1, item[2], keysPerSplit, nKeys, p, a,
                    causal);
            int firstTile = keys[0] - keys[0] % BKV;
            int tiles = keys[0] < keys[1] ? (keys[1] - firstTile + BKV - 1) / BKV : 0;
            int buffer = qByProducer ? n & 1 : 0;
            if (qByProducer) Mbarrier.waitParity(ctx, bars, 4 * stages + buffer, (n >> 1) & 1);
            consumer(ctx, out, lse, q, qTile, kTiles, vTiles, bars, role - 1, q0, nq, p, a, nKeys, causal, nHeads,
                    item[1], headDim, scale, keysPerSplit, item[2], keys, firstTile, tiles, ringBase, stages,
                    scheduleFlags, true, outBf16, bf16Out, positions, invFreq, ropeQ, buffer * Q_TILE, qByProducer);
            ringBase += tiles;
            if (qByProducer) {
                Mbarrier.arrive(ctx, bars, 4 * stages + 2 + buffer);   // its products are done: the buffer is free
            } else {
                consumerBarrier(ctx, role - 1);   // the next item's Q goes where this one's was read
            }
            n++;
        }
    }

    /**
     * Work item i of {@link #attentionTmaPersistent}: into {@code item} its query block, head and
     * key split. Splits are numbered fastest, then heads, then query blocks, causal ones from the
     * last (the longest) back: {@link #LONGEST_FIRST}'s order, each block's splits side by side.
     */
    static void workItem(int[] item, int i, int blocks, int nHeads, int splits, boolean causal) {
        int blockAndHead = i / splits;
        int j = blockAndHead / nHeads;
        item[0] = causal ? blocks - 1 - j : j;
        item[1] = blockAndHead % nHeads;
        item[2] = i % splits;
    }

    /**
     * The tensor map {@link #attentionTma} reads K (or V) [keys, kvStride] through: nKeys rows
     * (later rows read as zeros) of kvStride = nKvHeads·headDim columns, in boxes of 64 columns
     * (one column block of a head) × BKV keys, 128-byte swizzled. Built on the host per launch.
     */
    public static TensorMap kvMap(BF16Array kv, int nKeys, int kvStride) {
        return TensorMap.tiled2d(kv, kvStride, nKeys, kvStride, WarpGroup.ROW_ELEMENTS, BKV, TensorMap.Swizzle.B128);
    }

    /**
     * The query block (of BQ rows) this group works on. Blocks start in launch order, x fastest.
     * Causal groups late in the sequence see the most keys: those start first (shorter tail).
     * With {@link #LONGEST_FIRST} the groups are numbered across heads (all heads' last query
     * block, then the one before, ...), so the last wave holds only the shortest groups;
     * otherwise each head's groups run longest first, head after head, and the last head's
     * longest group starts near the end.
     */
    private static int queryBlock(KernelContext ctx, boolean causal, int scheduleFlags, int nHeads) {
        int groupsX = ctx.globalGroupSizeX / THREADS;
        if (causal && (scheduleFlags & LONGEST_FIRST) != 0) {
            return groupsX - 1 - (ctx.groupIdx + groupsX * ctx.groupIdy) / nHeads;
        }
        return causal ? groupsX - 1 - ctx.groupIdx : ctx.groupIdx;
    }

    /** The head this group works on ({@link #queryBlock}'s numbering). */
    private static int head(KernelContext ctx, boolean causal, int scheduleFlags, int nHeads) {
        if (causal && (scheduleFlags & LONGEST_FIRST) != 0) {
            return (ctx.groupIdx + ctx.globalGroupSizeX / THREADS * ctx.groupIdy) % nHeads;
        }
        return ctx.groupIdy;
    }

    /**
     * Sets up the ring's barriers (full K at 0, full V at stages, empty K at 2·stages, empty V at
     * 3·stages, one per stage each): full ones complete on {@code fullArrivals} arrivals (and the
     * bytes armed on them), empty ones when every consumer work-item released the stage. Returns
     * this work-item's warpgroup, warp-uniform for ptxas: 0 the producer, 1 and 2 the consumers.
     */
    private static int startBarriers(KernelContext ctx, long[] bars, int stages, int fullArrivals) {
        if (ctx.localIdx == 0) {
            for (int s = 0; s < stages; s++) {
                Mbarrier.init(ctx, bars, s, fullArrivals);
                Mbarrier.init(ctx, bars, stages + s, fullArrivals);
                Mbarrier.init(ctx, bars, 2 * stages + s, CONSUMERS * WarpGroup.SIZE);
                Mbarrier.init(ctx, bars, 3 * stages + s, CONSUMERS * WarpGroup.SIZE);
            }
        }
        ctx.localBarrier();
        return ctx.broadcast(ctx.localIdx >> 7, 0);
    }

    /**
     * Consumer c (0 or 1) of every kernel, for one work item (query block q0 of head h, key split
     * {@code split}) whose tiles are the ring's tiles ringBase … ringBase + tiles − 1: finds the
     * tiles it works on ({@link #OWN_KEY_RANGES}: only those its own rows see) and runs {@link #consume}.
     * {@code asyncCopies}: the tiles were written by bulk tensor copies (no proxy fence needed).
     * The item's Q tile is at {@code qBase}; {@code qStored}: already there (else c stores its rows).
     */
    private static void consumer(KernelContext ctx, F32Array out, F32Array lse, F32Array q, int[] qTile, int[] kTiles,
                                 int[] vTiles, long[] bars, int c, int q0, int nq, int p, int a, int nKeys,
                                 boolean causal, int nHeads, int h, int headDim, float scale, int keysPerSplit,
                                 int split, int[] keys, int firstTile, int tiles, int ringBase, int stages,
                                 int scheduleFlags, boolean asyncCopies, I32Array outBf16, boolean bf16Out,
                                 I32Array positions, F32Array invFreq, boolean ropeQ, int qBase, boolean qStored) {
        // The tiles [lo, end) of the group's [0, tiles) that consumer c works on, and the other's.
        int lo = 0, end = tiles, otherLo = 0, otherEnd = tiles;
        if ((scheduleFlags & OWN_KEY_RANGES) != 0) {
            consumerKeys(keys, c, q0, nq, split, keysPerSplit, nKeys, p, a, causal);
            int[] others = new int[4];
            consumerKeys(others, 1 - c, q0, nq, split, keysPerSplit, nKeys, p, a, causal);
            lo = firstTileOf(keys, firstTile);
            end = endTileOf(keys, firstTile);
            otherLo = firstTileOf(others, firstTile);
            otherEnd = endTileOf(others, firstTile);
        }
        consume(ctx, out, lse, q, qTile, kTiles, vTiles, bars, c, q0, nq, p, a, causal, nHeads, h, split, headDim,
                scale, keys[0], keys[1], keys[2], keys[3], firstTile, tiles, lo, end, otherLo, otherEnd, ringBase, stages,
                asyncCopies, outBf16, bf16Out, positions, invFreq, ropeQ, qBase, qStored);
    }

    /**
     * Consumer c's keys: {@link FlashAttention#keyRange} of its 64 rows (those below nq), or an
     * empty range when it has none.
     */
    private static void consumerKeys(int[] keys, int c, int q0, int nq, int split, int keysPerSplit, int nKeys, int p,
                                     int a, boolean causal) {
        int first = q0 + WarpGroup.M * c;
        int last = KernelMath.min(first + WarpGroup.M, nq) - 1;
        FlashAttention.keyRange(keys, first, last, split, keysPerSplit, nKeys, p, a, causal);
        if (last < first) keys[1] = keys[0];
    }

    /** The first of the group's tiles (numbered from firstTile) that holds a key of the range; 0 when empty. */
    private static int firstTileOf(int[] keys, int firstTile) {
        return keys[0] < keys[1] ? (keys[0] - firstTile) / BKV : 0;
    }

    /** One past the last of the group's tiles that holds a key of the range; 0 when empty. */
    private static int endTileOf(int[] keys, int firstTile) {
        return keys[0] < keys[1] ? (keys[1] - firstTile + BKV - 1) / BKV : 0;
    }

    /**
     * The producer: K tile t, then V tile t, into stage t % stages once the consumers released
     * that stage's previous tile (round r = t / stages waits for parity (r − 1) % 2 of its empty
     * barrier); each work-item's copies complete the full barrier they were issued for.
     */
    private static void produce(KernelContext ctx, int[] kTiles, int[] vTiles, long[] bars, BF16Array k, BF16Array v,
                                int firstTile, int tiles, int nKeys, int kvStride, int kvOffset, int tid, int headDim,
                                int stages) {
        for (int t = 0; t < tiles; t++) {
            int s = t % stages;
            int at = s * FlashAttentionHopper.TILE;
            int key0 = firstTile + t * BKV;
            if (t >= stages) Mbarrier.waitParity(ctx, bars, 2 * stages + s, (t / stages - 1) & 1);
            copyTile(ctx, kTiles, k, at, key0, nKeys, kvStride, kvOffset, tid, headDim);
            Mbarrier.arriveAfterCopies(ctx, bars, s);
            if (t >= stages) Mbarrier.waitParity(ctx, bars, 3 * stages + s, (t / stages - 1) & 1);
            copyTile(ctx, vTiles, v, at, key0, nKeys, kvStride, kvOffset, tid, headDim);
            Mbarrier.arriveAfterCopies(ctx, bars, stages + s);
        }
        AsyncCopy.commit(ctx);
        AsyncCopy.waitPending(ctx, 0);   // no copy outlives its work-item
    }

    /**
     * {@link #attentionTma}'s producer, one work-item: K tile t, then V tile t, or with
     * {@link #K_AHEAD} K tile t + 1 before V tile t (K_0, K_1, V_0, K_2, V_1, ...), each into stage
     * t % stages once the consumers released that stage's previous tile (as {@link #produce}),
     * armed on its full barrier with the tile's bytes before its copies are issued. K-ahead
     * cannot deadlock: V_t now also waits for the release of K_{t+1−stages}, which each consumer
     * makes (working on or releasing tile t + 1 − stages) before it waits for V_t, and the turns
     * it may wait for on the way are the other consumer's at steps up to t + 1 − stages, whose
     * V tiles (up to t − stages) come before K_{t+1} in the load order.
     */
    private static void produceByTma(KernelContext ctx, int[] kTiles, int[] vTiles, long[] bars, TensorMap kMap,
                                     TensorMap vMap, int firstTile, int tiles, int ringBase, int kvOffset, int headDim,
                                     int stages, int scheduleFlags) {
        boolean kAhead = (scheduleFlags & K_AHEAD) != 0;
        for (int t = 0; t < tiles; t++) {
            if (!kAhead || t == 0) loadStage(ctx, kTiles, bars, 0, kMap, t, firstTile, ringBase, kvOffset, headDim, stages);
            if (kAhead && t + 1 < tiles) {
                loadStage(ctx, kTiles, bars, 0, kMap, t + 1, firstTile, ringBase, kvOffset, headDim, stages);
            }
            loadStage(ctx, vTiles, bars, stages, vMap, t, firstTile, ringBase, kvOffset, headDim, stages);
        }
    }

    /**
     * The item's tile t of K (fullAt 0) or V (fullAt stages), the ring's tile r = ringBase + t,
     * into stage r % stages: waits for the stage's empty barrier (fullAt + 2·stages) from round 1
     * on, arms its full barrier with the tile's bytes, issues the copies.
     */
    private static void loadStage(KernelContext ctx, int[] tiles, long[] bars, int fullAt, TensorMap map, int t,
                                  int firstTile, int ringBase, int kvOffset, int headDim, int stages) {
        int r = ringBase + t;
        int s = r % stages;
        if (r >= stages) Mbarrier.waitParity(ctx, bars, fullAt + 2 * stages + s, (r / stages - 1) & 1);
        Mbarrier.arriveExpectTx(ctx, bars, fullAt + s, 2 * BKV * headDim);   // headDim / 64 boxes of 64 bf16 × BKV keys
        loadTile(ctx, tiles, s * FlashAttentionHopper.TILE, map, firstTile + t * BKV, kvOffset, headDim, bars, fullAt + s);
    }

    /**
     * The bulk copies of key rows [key0, key0 + BKV) of one KV head into the swizzled tile at
     * {@code at}: column block j (dims 64j … 64j + 63) is one box, landing at at + j·BLOCK, where
     * {@link FlashAttentionHopper#copyTile} puts it; completing on {@code bars[bar]}.
     */
    private static void loadTile(KernelContext ctx, int[] tiles, int at, TensorMap map, int key0, int kvOffset,
                                 int headDim, long[] bars, int bar) {
        for (int j = 0; j < headDim / WarpGroup.ROW_ELEMENTS; j++) {
            BulkCopy.load2d(ctx, tiles, at + j * FlashAttentionHopper.BLOCK, map, kvOffset + j * WarpGroup.ROW_ELEMENTS,
                    key0, bars, bar);
        }
    }

    /**
     * The producer's copies of key rows [key0, key0 + BKV) into the swizzled tile at {@code at}
     * ({@link FlashAttentionHopper#copyTile}'s layout): a rolled loop, since the producer keeps
     * only {@link #PRODUCER_REGISTERS} registers. A work-item copies one 16-byte chunk of every
     * (SIZE / chunks per row)-th row, so its chunk's swizzled position is the same in each.
     */
    private static void copyTile(KernelContext ctx, int[] tiles, BF16Array src, int at, int key0, int nKeys, int kvStride,
                                 int kvOffset, int tid, int headDim) {
        int chunksPerRow = headDim / 8;
        int rowsPerPass = WarpGroup.SIZE / chunksPerRow;
        int chunk = tid % chunksPerRow;
        int row = tid / chunksPerRow;
        int dst = WarpGroup.swizzled(at + (chunk >> 3) * FlashAttentionHopper.BLOCK, row, chunk & 7);
        int key = key0 + row;
        int from = key * kvStride + kvOffset + 8 * chunk;
        for (int i = 0; i < BKV / rowsPerPass; i++) {
            boolean in = key < nKeys;
            AsyncCopy.copy16(ctx, tiles, dst, src, in ? from : 0, in);
            dst += rowsPerPass * WarpGroup.ROW_INTS;
            key += rowsPerPass;
            from += rowsPerPass * kvStride;
        }
    }

    /**
     * Consumer {@code c} (0 or 1): query rows q0 + 64c … q0 + 64c + 63, keys [keyLo, keyEnd)
     * (all of [fullLo, fullEnd) seen by every row), working on the group's tiles [lo, end) and
     * releasing the others unread, in ring order; the other consumer works on [otherLo, otherEnd).
     *
     * <p>Steps: step t issues S_t (t &lt; end) and P_{t−1}·V_{t−1} (t &gt; lo), so a consumer runs
     * steps lo … end. The two take turns (consumer 0 first) only over the steps both run,
     * [max(lo, otherLo), min(end, otherEnd)]; outside it a consumer issues alone. Why this cannot
     * deadlock: in a shared step a consumer waits for the other's previous turn, which the other
     * reaches through its own earlier steps, whose waits are for tiles the producer loads once
     * both consumers released the tile {@code stages} earlier; each consumer releases every tile
     * in ring order (works on it, or waits for it to land and releases it), never waiting for a
     * turn before releasing a tile that precedes its first step, nor after its last. Consumer
     * 1's first arrival opens consumer 0's first shared turn; every shared turn but the last
     * of consumer 1 opens the next of consumer 0, and every one of consumer 0 opens consumer 1's,
     * so each named barrier sees as many arrivals as syncs (one generation at a time).
     */
    private static void consume(KernelContext ctx, F32Array out, F32Array lse, F32Array q, int[] qTile, int[] kTiles,
                                int[] vTiles, long[] bars, int c, int q0, int nq, int p, int a, boolean causal,
                                int nHeads, int h, int split, int headDim, float scale, int keyLo, int keyEnd,
                                int fullLo, int fullEnd, int firstTile, int tiles, int lo, int end, int otherLo,
                                int otherEnd, int ringBase, int stages, boolean asyncCopies, I32Array outBf16,
                                boolean bf16Out, I32Array positions, F32Array invFreq, boolean ropeQ, int qBase,
                                boolean qStored) {
        int tid = ctx.localIdx & (WarpGroup.SIZE - 1);
        int lane = ctx.laneId();
        int t4 = lane & 3;
        int row0 = q0 + WarpGroup.M * c + 16 * (tid >> 5) + (lane >> 2);
        int qAt = qBase + c * WarpGroup.M * WarpGroup.ROW_INTS;
        if (!qStored) {
            storeQTile(q, qTile, qBase, q0, WarpGroup.M * c, WarpGroup.M, WarpGroup.SIZE, tid, nq, nHeads, h, scale,
                    headDim, positions, invFreq, ropeQ);
            WarpGroup.fenceAsyncProxy(ctx);
            consumerBarrier(ctx, c);
        }
        // The steps both consumers run (empty when either runs none).
        int turnLo = KernelMath.max(lo, otherLo);
        int turnHi = KernelMath.min(end, otherEnd);
        if (end <= lo || otherEnd <= otherLo) turnHi = turnLo - 1;

        float[] s = new float[BKV / 2];
        float[] o = new float[FlashAttentionHopper.MAX_HEAD_DIM / 2];
        int[] pf = new int[4 * (BKV / 16)];
        float[] stats = new float[4];   // running max (base 2) and sum of rows g and g + 8 of this lane
        float[] rescale = new float[2];
        FlashAttention.initStats(stats);
        if (c == 1 && turnLo <= turnHi) NamedBarrier.arrive(ctx, TURN_0, 2 * WarpGroup.SIZE);   // consumer 0 goes first
        release(ctx, bars, ringBase, ringBase + lo, stages);
        if (end > lo) {
            // Step lo: S_lo only. (Ring tile ringBase + t holds the item's tile t.)
            int first = (ringBase + lo) % stages;
            Mbarrier.waitParity(ctx, bars, first, ((ringBase + lo) / stages) & 1);
            landed(ctx, asyncCopies);
            takeTurn(ctx, c, lo, turnLo, turnHi);
            WarpGroup.fence(ctx);
            FlashAttentionHopper.scores(ctx, s, qTile, qAt, kTiles, first * FlashAttentionHopper.TILE, headDim);
            WarpGroup.commit(ctx);
            passTurn(ctx, c, lo, turnLo, turnHi);
            WarpGroup.waitPending(ctx, 0);
            Mbarrier.arrive(ctx, bars, 2 * stages + first);
            maskIfNeeded(s, firstTile + lo * BKV, row0, t4, keyLo, keyEnd, fullLo, fullEnd, p, a, causal);
            FlashAttention.exponentiate(ctx, s, stats, rescale, BKV);
            FlashAttention.packP(s, pf, BKV);   // O is still zero: no rescale
            // Step t: S_t = Q·K_tᵀ and O += P_{t-1}·V_{t-1} in flight together; S_t's softmax under P·V.
            for (int t = lo + 1; t < end; t++) {
                int r = ringBase + t;
                int st = r % stages;
                int prev = (r - 1) % stages;
                Mbarrier.waitParity(ctx, bars, st, (r / stages) & 1);
                landed(ctx, asyncCopies);
                takeTurn(ctx, c, t, turnLo, turnHi);
                WarpGroup.fence(ctx);
                FlashAttentionHopper.scores(ctx, s, qTile, qAt, kTiles, st * FlashAttentionHopper.TILE, headDim);
                WarpGroup.commit(ctx);
                Mbarrier.waitParity(ctx, bars, stages + prev, ((r - 1) / stages) & 1);
                landed(ctx, asyncCopies);
                FlashAttention.rescale(o, rescale, headDim);
                WarpGroup.fence(ctx);
                FlashAttentionHopper.accumulate(ctx, o, pf, vTiles, prev * FlashAttentionHopper.TILE, headDim);
                WarpGroup.commit(ctx);
                passTurn(ctx, c, t, turnLo, turnHi);
                WarpGroup.waitPending(ctx, 1);   // S_t is in
                Mbarrier.arrive(ctx, bars, 2 * stages + st);
                maskIfNeeded(s, firstTile + t * BKV, row0, t4, keyLo, keyEnd, fullLo, fullEnd, p, a, causal);
                FlashAttention.exponentiate(ctx, s, stats, rescale, BKV);
                WarpGroup.waitPending(ctx, 0);   // P_{t-1}·V_{t-1} is in: P and O are free
                Mbarrier.arrive(ctx, bars, 3 * stages + prev);
                FlashAttention.packP(s, pf, BKV);
            }
            // Step end: the last P·V.
            int last = (ringBase + end - 1) % stages;
            Mbarrier.waitParity(ctx, bars, stages + last, ((ringBase + end - 1) / stages) & 1);
            landed(ctx, asyncCopies);
            takeTurn(ctx, c, end, turnLo, turnHi);
            FlashAttention.rescale(o, rescale, headDim);
            WarpGroup.fence(ctx);
            FlashAttentionHopper.accumulate(ctx, o, pf, vTiles, last * FlashAttentionHopper.TILE, headDim);
            WarpGroup.commit(ctx);
            passTurn(ctx, c, end, turnLo, turnHi);
            WarpGroup.waitPending(ctx, 0);
            Mbarrier.arrive(ctx, bars, 3 * stages + last);   // the producer may still load a tile into it
        }
        if (bf16Out) {
            FlashAttention.storeBf16(ctx, outBf16, lse, o, stats, row0, nq, nHeads, h, t4, headDim);
        } else {
            FlashAttention.store(ctx, out, lse, o, stats, row0, nq, nHeads, h, split, t4, headDim);
        }
        release(ctx, bars, ringBase + end, ringBase + tiles, stages);   // an empty range is [0, 0)
    }

    /**
     * Rows firstRow … firstRow + rows − 1 of query block q0 of head h into the Q tile at qBase
     * by {@code threads} work-items: scaled by scale·log2 e, rotated by RoPE first when ropeQ
     * ({@link FlashAttentionHopper#storeQ}, {@link FlashAttentionHopper#storeRotatedQ}).
     */
    private static void storeQTile(F32Array q, int[] qTile, int qBase, int q0, int firstRow, int rows, int threads,
                                   int tid, int nq, int nHeads, int h, float scale, int headDim, I32Array positions,
                                   F32Array invFreq, boolean ropeQ) {
        if (ropeQ) {
            FlashAttentionHopper.storeRotatedQ(q, qTile, qBase, q0, firstRow, rows, threads, tid, nq, nHeads * headDim,
                    h * headDim, scale * LOG2E, headDim, positions, invFreq);
        } else {
            FlashAttentionHopper.storeQ(q, qTile, qBase, q0, firstRow, rows, threads, tid, nq, nHeads * headDim,
                    h * headDim, scale * LOG2E, headDim);
        }
    }

    /**
     * Every work-item of consumer c gets here before any goes on: after storing Q (every warp's
     * products read all 64 rows), and in {@link #attentionTmaPersistent} before the next item's Q
     * overwrites rows another warp's last product of this item may still read.
     */
    private static void consumerBarrier(KernelContext ctx, int c) {
        if (c == 0) {
            NamedBarrier.sync(ctx, Q_READY_0, WarpGroup.SIZE);
        } else {
            NamedBarrier.sync(ctx, Q_READY_1, WarpGroup.SIZE);
        }
    }

    /**
     * After waiting for a tile to land: cp.async copies wrote it through the generic proxy, so a
     * proxy fence hands it to the products (which read through the async proxy); bulk tensor
     * copies already wrote through the async proxy.
     */
    private static void landed(KernelContext ctx, boolean asyncCopies) {
        if (!asyncCopies) WarpGroup.fenceAsyncProxy(ctx);
    }

    /**
     * Releases the ring's tiles [from, to) that this consumer does not read, in ring order: each
     * once it has landed (so that the arrival counts toward that tile's round of the empty
     * barriers, not an earlier one).
     */
    private static void release(KernelContext ctx, long[] bars, int from, int to, int stages) {
        for (int t = from; t < to; t++) {
            int st = t % stages;
            int parity = (t / stages) & 1;
            Mbarrier.waitParity(ctx, bars, st, parity);
            Mbarrier.arrive(ctx, bars, 2 * stages + st);
            Mbarrier.waitParity(ctx, bars, stages + st, parity);
            Mbarrier.arrive(ctx, bars, 3 * stages + st);
        }
    }

    /** Masks the tile's scores unless every row of the consumer sees all its keys. */
    private static void maskIfNeeded(float[] s, int kt, int row0, int t4, int keyLo, int keyEnd, int fullLo, int fullEnd,
                                     int p, int a, boolean causal) {
        if (kt < fullLo || kt + BKV > fullEnd) FlashAttention.mask(s, BKV, kt, row0, t4, keyLo, keyEnd, p, a, causal);
    }

    /** Waits until it is consumer c's turn to issue the products of {@code step}, if both consumers run that step. */
    private static void takeTurn(KernelContext ctx, int c, int step, int turnLo, int turnHi) {
        if (step >= turnLo && step <= turnHi) {
            if (c == 0) {
                NamedBarrier.sync(ctx, TURN_0, 2 * WarpGroup.SIZE);
            } else {
                NamedBarrier.sync(ctx, TURN_1, 2 * WarpGroup.SIZE);
            }
        }
    }

    /**
     * Hands the turn to the other consumer once c's products of {@code step} are issued: always
     * from consumer 0 in a shared step, from consumer 1 unless it was the last shared step (no
     * turn of consumer 0 is left to open).
     */
    private static void passTurn(KernelContext ctx, int c, int step, int turnLo, int turnHi) {
        if (step >= turnLo && step <= turnHi) {
            if (c == 0) {
                NamedBarrier.arrive(ctx, TURN_1, 2 * WarpGroup.SIZE);
            } else if (step < turnHi) {
                NamedBarrier.arrive(ctx, TURN_0, 2 * WarpGroup.SIZE);
            }
        }
    }
}
