package org.apbj.parallel.strategy;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.model.AttentionMask;
import org.apbj.model.LayerSteps;
import org.apbj.parallel.comm.Communicator;
import org.apbj.parallel.plan.ApbLengths;
import org.apbj.parallel.plan.ContextSplit;
import org.apbj.parallel.plan.PrefillPlanner;
import org.apbj.parallel.plan.RankPlan;
import org.apbj.parallel.strategy.RequestBuffers.Group;
import org.apbj.parallel.transfer.Exchange;
import org.apbj.parallel.transfer.Transfer;
import java.util.List;

/**
 * Phase 1 of APB (APB-SPEC.md steps 1-7), of StarAttn (anchor = first block, no passing) and
 * of Dense (one rank, no anchor): per layer, on this rank's rows [A ; B]:
 * q/k/v projections; (APB) retaining-head scores on the pre-RoPE q, k, v; RoPE at the plan's
 * positions; (APB) per-KV-head top-l_p of the block outside its first l_a rows, gathered and
 * sent on the device to the later ranks (a prefix gather: the blocks of ranks 0..r-1 become P);
 * attention over [A ; B] runs while the passing blocks travel (with
 * {@link StrategyOptions#overlap}), then the block rows' attention over P is merged in by
 * log-sum-exp (anchor rows do not see P); the rest of the layer. The compute waits for the later
 * ranks to have read this rank's passing block only when the next layer writes it again.
 * Without overlap the same arithmetic runs after the gather, so results are identical.
 * Only the block's real rows go to the KV cache.
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
    private F32Array x, q, out, lse, scores, outP, lseP, anchorMask;
    private BF16Array k, v, sendK, sendV, passK, passV;
    private I32Array tok, pos, picked;

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

        x = f32(Group.WORKSPACE, (long) rows * cfg.hiddenSize());
        q = f32(Group.WORKSPACE, (long) rows * cfg.qDim());
        k = bf16(Group.BLOCK_KV, (long) rows * kvDim);   // [A ; B]; the passing block P arrives in passK/passV
        v = bf16(Group.BLOCK_KV, (long) rows * kvDim);
        out = f32(Group.WORKSPACE, (long) rows * cfg.qDim());
        lse = f32(Group.WORKSPACE, (long) rows * cfg.numHeads());
        tok = i32(Group.WORKSPACE, rows);
        pos = i32(Group.WORKSPACE, rows);
        scores = selects ? f32(Group.WORKSPACE, (long) rows * cfg.numKvHeads()) : null;
        picked = selects ? i32(Group.WORKSPACE, (long) cfg.numKvHeads() * lp) : null;
        // every rank takes part in the all-gather; the last rank's block is never read (zeros)
        sendK = passing ? bf16(Group.PASSING, (long) lp * kvDim) : null;
        sendV = passing ? bf16(Group.PASSING, (long) lp * kvDim) : null;
        passK = passing ? bf16(Group.PASSING, (long) hosts * lp * kvDim) : null;
        passV = passing ? bf16(Group.PASSING, (long) hosts * lp * kvDim) : null;
        if (passing) collective(2L * lp * kvDim * 2, 2L * hosts * lp * kvDim * 2);   // K and V in one all-gather
        boolean mergesP = passing && p > 0;
        outP = mergesP ? f32(Group.PASSING, (long) rows * cfg.qDim()) : null;
        lseP = mergesP ? f32(Group.PASSING, (long) rows * cfg.numHeads()) : null;
        anchorMask = mergesP && plan.anchorLength() > 0 && !planning() ? negativeInfinity((long) plan.anchorLength() * cfg.numHeads()) : null;
        allocateCache(plan.blockLength());
        return new PrefillShape(rows, Math.max(p, rows), plan.realBlockLength());
    }

    /** A host array of -inf: the lse of anchor rows over P, so the merge leaves them as they were (they do not see P). */
    private static F32Array negativeInfinity(long n) {
        F32Array a = F32Array.allocate(n);
        for (long i = 0; i < n; i++) a.set(i, Float.NEGATIVE_INFINITY);
        return a;
    }

    @Override
    protected void runPrefill() {
        int a = plan.anchorLength();
        int b = plan.blockLength();
        int rows = plan.queryRows();
        int p = plan.passingRows();
        int lp = plan.passingPerHost();
        int kvDim = cfg.kvDim();

        embed(Phase.PREFILL, plan.rowTokens(), plan.rowPositions(), tok, pos, x);
        Transfer sent = null;   // the last gather, whose readers may still be reading sendK/sendV
        for (int layer = 0; layer < cfg.numLayers(); layer++) {
            final int l = layer;
            // the retaining heads' work is timed apart from the projections, so its share of a layer can be read off
            timer.time(Phase.PREFILL, l, Category.QKV, () -> steps.projectQkv(l, x, rows, q, k, v, 0));
            if (selects) timer.time(Phase.PREFILL, l, Category.RETAINING, () -> steps.retainingScores(l, q, k, v, 0, rows, scores));   // before RoPE
            timer.time(Phase.PREFILL, l, Category.QKV, () -> steps.rope(q, k, 0, rows, pos));
            if (sent != null) timer.releaseSend(Phase.PREFILL, l, sent);   // sendK/sendV are written next
            sent = null;
            if (selects) {
                timer.time(Phase.PREFILL, l, Category.RETAINING, () -> {
                    steps.selectTopK(scores, rows, plan.selectionExcludeFirst(), lp, picked);
                    steps.gatherKv(k, v, 0, picked, lp, sendK, sendV, 0);
                });
            }
            if (selects) options.observer().selected(l, picked, lp, a, plan.blockPositions()[0]);
            // P = the blocks of ranks 0..r-1 in rank order: rows [0, p) of passK/passV once the gather lands
            Transfer passingBlocks = passing ? collectives().allGatherPrefix(lp * kvDim,
                    List.of(new Exchange.Part(sendK, 0, passK, 0), new Exchange.Part(sendV, 0, passV, 0))) : null;
            if (passingBlocks != null && !options.overlap()) await(Phase.PREFILL, l, passingBlocks);
            timer.time(Phase.PREFILL, l, Category.ATTENTION, () -> steps.attention(q, rows, k, v, AttentionMask.anchored(a, b), out, lse));
            if (passingBlocks != null) {
                if (options.overlap()) {
                    timer.awaitReceived(Phase.PREFILL, l, passingBlocks);
                    sent = passingBlocks;
                }
                if (p > 0) {
                    timer.time(Phase.PREFILL, l, Category.ATTENTION, () -> {
                        steps.attention(q, rows, passK, passV, AttentionMask.foreignBlock(p), outP, lseP);
                        if (anchorMask != null) device.enqueueCopy(lseP, 0, anchorMask, 0, anchorMask.length());
                        steps.mergeAttention(out, lse, outP, lseP, rows);
                    });
                }
            }
            timer.time(Phase.PREFILL, l, Category.FFN, () -> steps.finishLayer(l, x, out, rows));
            options.observer().afterLayer(Phase.PREFILL, l, x, a, plan.realBlockLength(), plan.blockPositions()[0]);
            timer.time(Phase.PREFILL, l, Category.STAGING, () -> {   // keep only the block's real rows, queued on the device
                device.enqueueCopy(cacheK[l], 0, k, (long) a * kvDim, (long) plan.realBlockLength() * kvDim);
                device.enqueueCopy(cacheV[l], 0, v, (long) a * kvDim, (long) plan.realBlockLength() * kvDim);
            });
        }
        if (sent != null) timer.releaseSend(Phase.PREFILL, cfg.numLayers() - 1, sent);
        cachedRows = plan.realBlockLength();
    }

    @Override
    public void close() {
        try {
            super.close();
        } finally {
            if (anchorMask != null) anchorMask.close();
        }
    }
}
