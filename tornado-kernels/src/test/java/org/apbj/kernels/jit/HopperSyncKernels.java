package org.apbj.kernels.jit;

import org.apbj.kernels.api.BulkCopy;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.Mbarrier;
import org.apbj.kernels.api.NamedBarrier;
import org.apbj.kernels.api.TensorMap;
import org.apbj.kernels.api.WarpGroup;

/** Kernels for the Hopper synchronisation intrinsics: named barriers, mbarrier transactions. */
public final class HopperSyncKernels {
    private HopperSyncKernels() {}

    /** Work-items per group of {@link #twoWarpGroups}: two warpgroups. */
    public static final int GROUP = 256;
    static final int WARPGROUP = 128;

    /**
     * Two warpgroups, each rotating values through its half of a shared array for {@code rounds}
     * rounds, synchronised only by its own named barrier (1 or 2); then warpgroup 0 hands its
     * results to warpgroup 1 through barrier 3 (arrive by the producer, sync by the consumer).
     * Without working barriers the reads race with the writes.
     */
    public static void twoWarpGroups(KernelContext ctx, I32Array out, I32Array in, int rounds) {
        int[] ring = ctx.allocateIntLocalArray(GROUP);
        int[] handOff = ctx.allocateIntLocalArray(WARPGROUP);
        int l = ctx.localIdx;
        int wg = l / WARPGROUP, lane = l % WARPGROUP, base = ctx.groupIdx * GROUP;
        int v = in.get(base + l);
        for (int r = 0; r < rounds; r++) {
            ring[l] = v;
            if (wg == 0) NamedBarrier.sync(ctx, 1, WARPGROUP); else NamedBarrier.sync(ctx, 2, WARPGROUP);
            v = v * 3 + ring[wg * WARPGROUP + (lane + 1 + r) % WARPGROUP];
            if (wg == 0) NamedBarrier.sync(ctx, 1, WARPGROUP); else NamedBarrier.sync(ctx, 2, WARPGROUP);
        }
        if (wg == 0) {
            handOff[lane] = v;
            NamedBarrier.arrive(ctx, 3, GROUP);
        } else {
            NamedBarrier.sync(ctx, 3, GROUP);
            v += handOff[lane];
        }
        out.set(base + l, v);
    }

    /** Rejected: a barrier id only known at run time. */
    public static void namedBarrierRuntimeId(KernelContext ctx, I32Array out, int id) {
        NamedBarrier.sync(ctx, id, 128);
        out.set(ctx.localIdx, 1);
    }

    /** Rejected: a thread count that is not whole warps. */
    public static void namedBarrierPartialWarp(KernelContext ctx, I32Array out) {
        NamedBarrier.sync(ctx, 1, 100);
        out.set(ctx.localIdx, 1);
    }

    /**
     * Work-item 0 arrives on an mbarrier expecting {@code bytes} transaction bytes (0 here: no
     * copy delivers any), everyone waits for the phase, then writes its id + 1.
     */
    public static void expectTx(KernelContext ctx, I32Array out, int bytes) {
        long[] bars = ctx.allocateLongLocalArray(1);
        if (ctx.localIdx == 0) Mbarrier.init(ctx, bars, 0, 1);
        ctx.localBarrier();
        if (ctx.localIdx == 0) Mbarrier.arriveExpectTx(ctx, bars, 0, bytes);
        Mbarrier.waitParity(ctx, bars, 0, 0);
        out.set(ctx.globalIdx, ctx.globalIdx + 1);
    }

    /** Ints of the largest box {@link #bulkTile} takes: 64 bf16 × 128 rows. */
    public static final int BOX_INTS = 32 * 128;

    /**
     * Work-item 0 arms an mbarrier with {@code boxBytes} and copies the box at (x, y) of
     * {@code map} into shared memory by one bulk tensor copy; everyone waits for it, then the
     * group writes the box's {@code boxBytes / 4} ints (as shared memory holds them) to out.
     */
    public static void bulkTile(KernelContext ctx, I32Array out, TensorMap map, int x, int y, int boxBytes) {
        int[] tile = ctx.allocateIntLocalArray(BOX_INTS);
        long[] bars = ctx.allocateLongLocalArray(1);
        landBox(ctx, tile, bars, map, x, y, 0, false, boxBytes);
        for (int i = ctx.localIdx; i < boxBytes / 4; i += ctx.localGroupSizeX) out.set(i, tile[i]);
    }

    /** As {@link #bulkTile} for a rank-3 map: the box at (x, y, z), plane after plane. */
    public static void bulkTile3d(KernelContext ctx, I32Array out, TensorMap map, int x, int y, int z, int boxBytes) {
        int[] tile = ctx.allocateIntLocalArray(BOX_INTS);
        long[] bars = ctx.allocateLongLocalArray(1);
        landBox(ctx, tile, bars, map, x, y, z, true, boxBytes);
        for (int i = ctx.localIdx; i < boxBytes / 4; i += ctx.localGroupSizeX) out.set(i, tile[i]);
    }

    /**
     * Loads the box at (x, y) of {@code src}, adds 1 to the bits of every bf16 with ordinary
     * shared-memory stores, and stores the box at (ox, oy) of {@code dst} with a bulk tensor store
     * (after the async-proxy fence and a barrier; the issuing work-item waits for its group).
     */
    public static void bulkRoundTrip(KernelContext ctx, TensorMap src, TensorMap dst, int x, int y, int ox, int oy,
                                     int boxBytes) {
        int[] tile = ctx.allocateIntLocalArray(BOX_INTS);
        long[] bars = ctx.allocateLongLocalArray(1);
        landBox(ctx, tile, bars, src, x, y, 0, false, boxBytes);
        for (int i = ctx.localIdx; i < boxBytes / 4; i += ctx.localGroupSizeX) tile[i] = tile[i] + 0x00010001;
        WarpGroup.fenceAsyncProxy(ctx);
        ctx.localBarrier();
        if (ctx.localIdx == 0) {
            BulkCopy.store2d(ctx, tile, 0, dst, ox, oy);
            BulkCopy.commit(ctx);
            BulkCopy.waitPending(ctx, 0);
        }
    }

    /**
     * Work-item 0 initialises {@code bars[0]}, arms it with {@code boxBytes} and issues the copy of
     * the box at (x, y[, z]) of {@code map} into {@code tile} (load3d when {@code rank3}, a
     * compile-time constant); every work-item returns once the box has landed.
     */
    private static void landBox(KernelContext ctx, int[] tile, long[] bars, TensorMap map, int x, int y, int z, boolean rank3,
                                int boxBytes) {
        if (ctx.localIdx == 0) Mbarrier.init(ctx, bars, 0, 1);
        ctx.localBarrier();
        if (ctx.localIdx == 0) {
            Mbarrier.arriveExpectTx(ctx, bars, 0, boxBytes);
            if (rank3) BulkCopy.load3d(ctx, tile, 0, map, x, y, z, bars, 0);
            else BulkCopy.load2d(ctx, tile, 0, map, x, y, bars, 0);
        }
        Mbarrier.waitParity(ctx, bars, 0, 0);
    }
}
