package org.apbj.parallel.strategy;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.runtime.SecondQueue;
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
 *
 * <p>Early selection ({@link StrategyOptions#earlySelection}, the default): on a rank that
 * selects, the layer's retaining scores, RoPE, top-l_p and gather run on a second device queue
 * ({@link SecondQueue}: a CUDA stream of the greatest priority) as soon as the projections have
 * written q/k/v, and the gather's start is marked there, so the rank's passing block is ready and
 * on its way while its own attention over [A ; B] runs on the compute queue, and its small
 * kernels are not queued behind the long attention kernels of ranks that share the GPU. The
 * compute queue waits for the second queue twice per layer: for the roped q and k before the
 * attention, and for the gather (and the later ranks' release of the send arrays) before the next
 * layer's projections overwrite q/k/v; that second wait is charged to exposed communication.
 * The same kernels run on the same data in the same dependency order: results are identical.
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

    @Override protected boolean priorityCopies() { return method == Method.APB && options.earlySelection(); }

    /** APB's selection queue with early selection on a rank that selects (opened by the first prefill, closed with the strategy). */
    private SecondQueue selection;

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
        boolean early = selects && options.earlySelection();
        if (early && selection == null) selection = device.openSecondQueue();
        Transfer sent = null;   // the last gather, whose readers may still be reading sendK/sendV
        for (int layer = 0; layer < cfg.numLayers(); layer++) {
            final int l = layer;
            timer.time(Phase.PREFILL, l, Category.QKV, () -> steps.projectQkv(l, x, rows, q, k, v, 0));
            Transfer passingBlocks;
            if (early) {
                passingBlocks = selectEarly(l, sent);
                sent = null;
            } else {
                // the retaining heads' work is timed apart from the projections, so its share of a layer can be read off
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
                passingBlocks = passing ? startGather(lp * kvDim) : null;
            }
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
            if (early) {
                // the next layer's projections overwrite q/k/v, which the gather read: the compute queue
                // waits for the selection queue (its gather, and the later ranks' release of sendK/sendV)
                timer.time(Phase.PREFILL, l, Category.EXPOSED_COMMUNICATION, selection::mainAfter);
                options.observer().selected(l, picked, lp, a, plan.blockPositions()[0]);
            }
        }
        if (sent != null) timer.releaseSend(Phase.PREFILL, cfg.numLayers() - 1, sent);
        cachedRows = plan.realBlockLength();
    }

    /**
     * Early selection of layer {@code l} on the selection queue, after the projections: scores on
     * the pre-RoPE q/k/v, RoPE (the compute queue waits for it before the attention), top-l_p,
     * the gather into sendK/sendV once the later ranks have read the previous layer's ({@code sent}),
     * and the start of this layer's prefix gather, marked on the selection queue.
     */
    private Transfer selectEarly(int l, Transfer sent) {
        int rows = plan.queryRows();
        int lp = plan.passingPerHost();
        selection.afterMain();   // q, k, v of layer l are written
        selection.run(() -> {
            timer.time(Phase.PREFILL, l, Category.RETAINING, () -> steps.retainingScores(l, q, k, v, 0, rows, scores));   // before RoPE
            timer.time(Phase.PREFILL, l, Category.QKV, () -> steps.rope(q, k, 0, rows, pos));
        });
        // the attention reads the roped q and k; and the scores must be done before the compute queue
        // goes on anyway: a model may keep their input in scratch its FFN reuses (DeviceModel's hBf16)
        selection.mainAfter();
        Transfer[] started = new Transfer[1];
        selection.run(() -> {
            timer.time(Phase.PREFILL, l, Category.RETAINING, () -> steps.selectTopK(scores, rows, plan.selectionExcludeFirst(), lp, picked));
            // sendK/sendV are written next: this queue (not the compute queue) waits for the later ranks to have read them
            if (sent != null) sent.releaseSend();
            timer.time(Phase.PREFILL, l, Category.RETAINING, () -> steps.gatherKv(k, v, 0, picked, lp, sendK, sendV, 0));
            started[0] = startGather(lp * cfg.kvDim());   // its start is marked here, after the gather
        });
        return started[0];
    }

    /** P = the blocks of ranks 0..r-1 in rank order: rows [0, p) of passK/passV once the gather lands. */
    private Transfer startGather(int count) {
        return collectives().allGatherPrefix(count, List.of(new Exchange.Part(sendK, 0, passK, 0), new Exchange.Part(sendV, 0, passV, 0)));
    }

    @Override
    public void close() {
        try {
            if (selection != null) selection.close();   // waits for its work: before the buffers it used are freed
        } finally {
            try {
                super.close();
            } finally {
                if (anchorMask != null) anchorMask.close();
            }
        }
    }
}
