package org.apbj.parallel.strategy;

import java.util.List;
import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.model.AttentionMask;
import org.apbj.model.LayerSteps;
import org.apbj.parallel.comm.Communicator;
import org.apbj.parallel.plan.ContextSplit;
import org.apbj.parallel.strategy.RequestBuffers.Group;
import org.apbj.parallel.transfer.Exchange;
import org.apbj.parallel.transfer.Transfer;

/**
 * RingAttention, exact: each rank attends causally within its block; the K/V blocks then travel
 * down the chain of ranks, H−1 steps: at step s rank r receives block r−s from rank r−1, attends
 * to it without a mask and merges by log-sum-exp. A block only goes where it is used (ranks after
 * its own; nothing wraps around to earlier ranks), so step s moves blocks between ranks s−1..H−1
 * only. With {@link StrategyOptions#overlap} the next step's transfer runs while the current
 * block is attended to (as ring-flash-attention does); without it, each transfer is awaited at
 * once. The arithmetic is the same either way.
 */
final class RingPrefill extends RankStrategy {

    RingPrefill(LayerSteps steps, Communicator comm, StrategyOptions options) {
        super(steps, comm, options);
    }

    @Override public Method method() { return Method.RING; }

    // the request's split and buffers, from prepare()
    private ContextSplit split;
    private int[] blockTokens;
    private F32Array x, q, out, lse, out2, lse2;
    private BF16Array[] ringK, ringV;   // two each: one block arrives while the other is attended to
    private I32Array tok, pos;

    @Override
    protected PrefillShape prepare(int[] context, int[] query) {
        int hosts = comm.size();
        int rank = comm.rank();
        split = ContextSplit.of(context.length, hosts);
        blockTokens = split.block(context, rank, padToken());
        int b = split.blockSize();
        int kvCount = b * cfg.kvDim();
        x = f32(Group.WORKSPACE, (long) b * cfg.hiddenSize());
        q = f32(Group.WORKSPACE, (long) b * cfg.qDim());
        out = f32(Group.WORKSPACE, (long) b * cfg.qDim());
        lse = f32(Group.WORKSPACE, (long) b * cfg.numHeads());
        out2 = hosts > 1 ? f32(Group.RING, (long) b * cfg.qDim()) : null;
        lse2 = hosts > 1 ? f32(Group.RING, (long) b * cfg.numHeads()) : null;
        ringK = hosts > 1 ? new BF16Array[] {bf16(Group.RING, kvCount), bf16(Group.RING, kvCount)} : null;
        ringV = hosts > 1 ? new BF16Array[] {bf16(Group.RING, kvCount), bf16(Group.RING, kvCount)} : null;
        if (hosts > 1) collective(2L * kvCount * 2, 2L * kvCount * 2);   // K and V of one block down the chain
        tok = i32(Group.WORKSPACE, b);
        pos = i32(Group.WORKSPACE, b);
        allocateCache(b);   // the block's K/V are computed in place; padding rows are later overwritten
        return new PrefillShape(b, b, split.realLength(rank));
    }

    @Override
    protected void runPrefill() {
        int hosts = comm.size();
        int rank = comm.rank();
        int b = split.blockSize();

        embed(Phase.PREFILL, blockTokens, split.positions(rank), tok, pos, x);
        for (int layer = 0; layer < cfg.numLayers(); layer++) {
            final int l = layer;
            timer.time(Phase.PREFILL, l, Category.QKV, () -> {
                steps.projectQkv(l, x, b, q, cacheK[l], cacheV[l], 0);
                steps.rope(q, cacheK[l], 0, b, pos);
            });
            Transfer next = hosts > 1 ? step(l, 1) : null;
            if (next != null && !options.overlap()) await(Phase.PREFILL, l, next);
            timer.time(Phase.PREFILL, l, Category.ATTENTION, () -> steps.attention(q, b, cacheK[l], cacheV[l], AttentionMask.causal(b), out, lse));
            for (int s = 1; s < hosts; s++) {
                if (options.overlap()) await(Phase.PREFILL, l, next);   // block rank−s is in ring[s % 2]
                next = s + 1 < hosts ? step(l, s + 1) : null;
                if (next != null && !options.overlap()) await(Phase.PREFILL, l, next);
                if (rank >= s) {
                    int slot = s % 2;
                    timer.time(Phase.PREFILL, l, Category.ATTENTION, () -> {
                        steps.attention(q, b, ringK[slot], ringV[slot], AttentionMask.foreignBlock(b), out2, lse2);
                        steps.mergeAttention(out, lse, out2, lse2, b);
                    });
                }
            }
            timer.time(Phase.PREFILL, l, Category.FFN, () -> steps.finishLayer(l, x, out, b));
            options.observer().afterLayer(Phase.PREFILL, l, x, 0, split.realLength(rank), split.blockStart(rank));
        }
        cachedRows = split.realLength(rank);
    }

    /**
     * Starts step s: rank r sends the block it holds (its own at s = 1, else the one received at
     * step s−1) on if rank r+1 uses it (r ≥ s−1, not the last rank), and receives block r−s into
     * ring[s % 2] if it exists (r ≥ s).
     */
    private Transfer step(int l, int s) {
        int hosts = comm.size(), rank = comm.rank();
        int kvCount = split.blockSize() * cfg.kvDim();
        int sendCount = rank >= s - 1 && rank < hosts - 1 ? kvCount : 0;
        int recvCount = rank >= s ? kvCount : 0;
        BF16Array sendK = s == 1 ? cacheK[l] : ringK[(s - 1) % 2];
        BF16Array sendV = s == 1 ? cacheV[l] : ringV[(s - 1) % 2];
        return collectives().shift(sendCount, recvCount,
                List.of(new Exchange.Part(sendK, 0, ringK[s % 2], 0), new Exchange.Part(sendV, 0, ringV[s % 2], 0)));
    }
}
