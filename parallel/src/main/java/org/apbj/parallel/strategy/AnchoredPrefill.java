package org.apbj.parallel.strategy;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.model.LayerSteps;
import org.apbj.parallel.comm.Communicator;
import org.apbj.parallel.plan.ApbLengths;
import org.apbj.parallel.plan.ContextSplit;
import org.apbj.parallel.plan.PrefillPlanner;
import org.apbj.parallel.plan.RankPlan;

/**
 * Phase 1 of APB (APB-SPEC.md steps 1-7), of StarAttn (anchor = first block, no passing) and
 * of Dense (one rank, no anchor): per layer, on this rank's rows [A ; B]:
 * q/k/v projections; (APB) retaining-head scores on the pre-RoPE q, k, v; RoPE at the plan's
 * positions; (APB) per-KV-head top-l_p of the block outside its first l_a rows, gathered and
 * all-gathered, the blocks of ranks 0..r-1 becoming rows [0, r·l_p) of the K/V buffer;
 * attention over [P ; A ; B]; the rest of the layer. Only the block's real rows go to the KV cache.
 */
final class AnchoredPrefill extends RankStrategy {

    private final Method method;

    AnchoredPrefill(Method method, LayerSteps steps, Communicator comm, StrategyOptions options) {
        super(steps, comm, options);
        if (method == Method.RING) throw new IllegalArgumentException("ring attention is RingPrefill");
        if (method == Method.DENSE && comm.size() != 1) {
            throw new IllegalArgumentException("dense runs on one rank, but the job has " + comm.size()
                    + " ranks: start it with one rank (-np 1) or choose ring, star or apb");
        }
        this.method = method;
    }

    @Override public Method method() { return method; }

    // the request's plan and buffers, from prepare()
    private RankPlan plan;
    private boolean passing, selects;
    private F32Array x, q, out, lse, scores;
    private BF16Array k, v, sendK, sendV;
    private I32Array tok, pos, picked;
    private short[] send, recv;

    @Override
    protected PrefillShape prepare(int[] context, int[] query) {
        int hosts = comm.size();
        int rank = comm.rank();
        ContextSplit split = ContextSplit.of(context.length, hosts);
        plan = switch (method) {
            case APB -> PrefillPlanner.apb(context, query, options.qpos(), split,
                    ApbLengths.resolve(options.anchorLength(), options.passingLength(), split.blockSize(), options.qpos(),
                            query.length, context.length), rank, padToken());
            default -> PrefillPlanner.star(context, split, rank, padToken());
        };
        int rows = plan.queryRows();
        int p = plan.passingRows();
        int lp = plan.passingPerHost();
        int kvDim = cfg.kvDim();
        passing = method == Method.APB && hosts > 1 && lp > 0;
        selects = passing && plan.sendsPassingBlock();

        x = f32((long) rows * cfg.hiddenSize());
        q = f32((long) rows * cfg.qDim());
        k = bf16((long) (p + rows) * kvDim);
        v = bf16((long) (p + rows) * kvDim);
        out = f32((long) rows * cfg.qDim());
        lse = f32((long) rows * cfg.numHeads());
        tok = i32(rows);
        pos = i32(rows);
        scores = selects ? f32((long) rows * cfg.numKvHeads()) : null;
        picked = selects ? i32((long) cfg.numKvHeads() * lp) : null;
        sendK = selects ? bf16((long) lp * kvDim) : null;
        sendV = selects ? bf16((long) lp * kvDim) : null;
        int perRank = 2 * lp * kvDim;
        send = passing && !planning() ? new short[perRank] : null;   // the last rank contributes zeros: nobody reads them
        recv = passing && !planning() ? new short[hosts * perRank] : null;
        allocateCache(plan.blockLength());
        return new PrefillShape(rows, p + rows, plan.realBlockLength());
    }

    @Override
    protected void runPrefill() {
        int rank = comm.rank();
        int a = plan.anchorLength();
        int b = plan.blockLength();
        int rows = plan.queryRows();
        int p = plan.passingRows();
        int lp = plan.passingPerHost();
        int kvDim = cfg.kvDim();
        int perRank = 2 * lp * kvDim;

        embed(Phase.PREFILL, plan.rowTokens(), plan.rowPositions(), tok, pos, x);
        for (int layer = 0; layer < cfg.numLayers(); layer++) {
            final int l = layer;
            timer.time(Phase.PREFILL, l, Category.QKV_SCORING, () -> {
                steps.projectQkv(l, x, rows, q, k, v, p);
                if (selects) steps.retainingScores(l, q, k, v, p, rows, scores);   // before RoPE
                steps.rope(q, k, p, rows, pos);
                if (selects) {
                    steps.selectTopK(scores, rows, plan.selectionExcludeFirst(), lp, picked);
                    steps.gatherKv(k, v, p, picked, lp, sendK, sendV, 0);
                }
            });
            if (selects) options.observer().selected(l, picked, lp, a, plan.blockPositions()[0]);
            if (passing) {
                if (selects) {
                    timer.time(Phase.PREFILL, l, Category.STAGING, () -> {
                        staging.toHost(sendK, 0, send, 0, lp * kvDim);
                        staging.toHost(sendV, 0, send, lp * kvDim, lp * kvDim);
                    });
                }
                timer.time(Phase.PREFILL, l, Category.COMMUNICATION, () -> comm.allGather(send, 0, perRank, recv, 0));
                timer.time(Phase.PREFILL, l, Category.STAGING, () -> {
                    for (int src = 0; src < rank; src++) {   // P = the blocks of ranks 0..r-1, in rank order
                        staging.toDevice(recv, src * perRank, k, (long) src * lp * kvDim, lp * kvDim);
                        staging.toDevice(recv, src * perRank + lp * kvDim, v, (long) src * lp * kvDim, lp * kvDim);
                    }
                });
            }
            timer.time(Phase.PREFILL, l, Category.ATTENTION, () -> steps.attention(q, rows, k, v, p, a, b, true, out, lse));
            timer.time(Phase.PREFILL, l, Category.FFN, () -> steps.finishLayer(l, x, out, rows));
            options.observer().afterLayer(Phase.PREFILL, l, x, a, plan.realBlockLength(), plan.blockPositions()[0]);
            timer.time(Phase.PREFILL, l, Category.STAGING, () -> {   // keep only the block's real rows, queued on the device
                device.enqueueCopy(cacheK[l], 0, k, (long) (p + a) * kvDim, (long) plan.realBlockLength() * kvDim);
                device.enqueueCopy(cacheV[l], 0, v, (long) (p + a) * kvDim, (long) plan.realBlockLength() * kvDim);
            });
        }
        cachedRows = plan.realBlockLength();
    }
}
