package org.apbj.parallel.strategy;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.model.LayerSteps;
import org.apbj.parallel.comm.Communicator;
import org.apbj.parallel.plan.ContextSplit;

/**
 * RingAttention, exact: each rank attends causally within its block, then the K/V blocks travel
 * around the ring (H-1 shifts: after s shifts rank r holds block r-s); blocks of earlier ranks are
 * attended to without a mask and merged by log-sum-exp, later blocks are only passed on.
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
    private BF16Array kRing, vRing;
    private I32Array tok, pos;
    private short[][] buffers;

    @Override
    protected PrefillShape prepare(int[] context, int[] query) {
        int hosts = comm.size();
        int rank = comm.rank();
        split = ContextSplit.of(context.length, hosts);
        blockTokens = split.block(context, rank, padToken());
        int b = split.blockSize();
        int kvCount = b * cfg.kvDim();
        x = f32((long) b * cfg.hiddenSize());
        q = f32((long) b * cfg.qDim());
        out = f32((long) b * cfg.qDim());
        lse = f32((long) b * cfg.numHeads());
        out2 = hosts > 1 ? f32((long) b * cfg.qDim()) : null;
        lse2 = hosts > 1 ? f32((long) b * cfg.numHeads()) : null;
        kRing = hosts > 1 ? bf16(kvCount) : null;
        vRing = hosts > 1 ? bf16(kvCount) : null;
        tok = i32(b);
        pos = i32(b);
        buffers = hosts > 1 && !planning() ? new short[][] {new short[2 * kvCount], new short[2 * kvCount]} : null;
        allocateCache(b);   // the block's K/V are computed in place; padding rows are later overwritten
        return new PrefillShape(b, b, split.realLength(rank));
    }

    @Override
    protected void runPrefill() {
        int hosts = comm.size();
        int rank = comm.rank();
        int b = split.blockSize();
        int kvCount = b * cfg.kvDim();

        embed(Phase.PREFILL, blockTokens, split.positions(rank), tok, pos, x);
        for (int layer = 0; layer < cfg.numLayers(); layer++) {
            final int l = layer;
            timer.time(Phase.PREFILL, l, Category.QKV_SCORING, () -> {
                steps.projectQkv(l, x, b, q, cacheK[l], cacheV[l], 0);
                steps.rope(q, cacheK[l], 0, b, pos);
            });
            timer.time(Phase.PREFILL, l, Category.ATTENTION, () -> steps.attention(q, b, cacheK[l], cacheV[l], 0, 0, b, true, out, lse));
            if (hosts > 1) {
                short[][] buf = buffers;
                timer.time(Phase.PREFILL, l, Category.STAGING, () -> {
                    staging.toHost(cacheK[l], 0, buf[0], 0, kvCount);
                    staging.toHost(cacheV[l], 0, buf[0], kvCount, kvCount);
                });
                for (int s = 1; s < hosts; s++) {
                    short[] send = buf[(s - 1) % 2];
                    short[] recv = buf[s % 2];   // what was received is what is sent next
                    timer.time(Phase.PREFILL, l, Category.COMMUNICATION, () -> comm.ringShift(send, 0, recv, 0, 2 * kvCount));
                    int source = (rank - s + hosts) % hosts;
                    if (source < rank) {
                        timer.time(Phase.PREFILL, l, Category.STAGING, () -> {
                            staging.toDevice(recv, 0, kRing, 0, kvCount);
                            staging.toDevice(recv, kvCount, vRing, 0, kvCount);
                        });
                        timer.time(Phase.PREFILL, l, Category.ATTENTION, () -> {
                            steps.attention(q, b, kRing, vRing, 0, 0, b, false, out2, lse2);
                            steps.mergeAttention(out, lse, out2, lse2, b);
                        });
                    }
                }
            }
            timer.time(Phase.PREFILL, l, Category.FFN, () -> steps.finishLayer(l, x, out, b));
            options.observer().afterLayer(Phase.PREFILL, l, x, 0, split.realLength(rank), split.blockStart(rank));
        }
        cachedRows = split.realLength(rank);
    }
}
