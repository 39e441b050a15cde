package org.apbj.parallel.strategy;

import java.util.ArrayList;
import java.util.List;
import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.runtime.Device;
import org.apbj.model.AttentionMask;
import org.apbj.model.LayerSteps;
import org.apbj.parallel.comm.Communicator;
import org.apbj.parallel.plan.PrefillPlanner;
import org.apbj.parallel.strategy.RequestBuffers.Group;
import org.apbj.parallel.transfer.DeviceCollectives;
import org.apbj.parallel.transfer.Transfer;
import org.apbj.weights.ModelConfig;

/**
 * Phase 2 of a request on one rank (APB-SPEC.md), the same for every method: the query tokens
 * run on every rank at their true positions; each rank attends with the KV its prefill left
 * ({@link RankKv}: non-last ranks see all of their block, the last rank also its appended query
 * and generated tokens, causally); the partial (out, lse) are all-gathered and merged exactly in
 * rank order, so every rank holds the same hidden states; the last rank samples greedily and
 * broadcasts the token, which then decodes the same way.
 *
 * <p>Its buffers are allocated when it is made, through the request's {@link RequestBuffers}
 * (a dry run of a request's plan makes one too, to count them).
 */
final class QueryPhase {

    /** What phase 1 left on this rank: per-layer K/V of its block in rows [0, rows), with room to append on the last rank. */
    record RankKv(BF16Array[] k, BF16Array[] v, int rows) {}

    private final LayerSteps steps;
    private final Communicator comm;
    private final ModelConfig cfg;
    private final Device device;
    private final StrategyOptions options;
    private final StepTimer timer;
    private final HostStaging staging;
    private final DeviceCollectives collectives;
    private final RankKv kv;
    private final int contextLength;
    private final int[] query;

    private final int hosts;
    private final boolean last;
    private final int m, qDim, nh;
    private final F32Array x, q, out, lse, partOut, partLse, logits, allOut, allLse;
    private final BF16Array kScratch, vScratch;
    private final I32Array tok, pos;
    private final float[] hostLogits;
    private int appended;

    /**
     * @param collectives the request's device collectives (null on one rank)
     * @param kv          the rank's KV after prefill (null in a dry run)
     */
    QueryPhase(LayerSteps steps, Communicator comm, StrategyOptions options, StepTimer timer, HostStaging staging,
               RequestBuffers buffers, DeviceCollectives collectives, RankKv kv, int contextLength, int[] query) {
        this.steps = steps;
        this.comm = comm;
        this.cfg = steps.config();
        this.device = steps.device();
        this.options = options;
        this.timer = timer;
        this.staging = staging;
        this.collectives = collectives;
        this.kv = kv;
        this.contextLength = contextLength;
        this.query = query;
        hosts = comm.size();
        last = comm.isLast();
        m = query.length;
        qDim = cfg.qDim();
        nh = cfg.numHeads();
        x = buffers.f32(Group.PHASE2, (long) m * cfg.hiddenSize());
        q = buffers.f32(Group.PHASE2, (long) m * qDim);
        out = buffers.f32(Group.PHASE2, (long) m * qDim);
        lse = buffers.f32(Group.PHASE2, (long) m * nh);
        partOut = hosts > 1 ? buffers.f32(Group.PHASE2, (long) m * qDim) : null;
        partLse = hosts > 1 ? buffers.f32(Group.PHASE2, (long) m * nh) : null;
        kScratch = last ? null : buffers.bf16(Group.PHASE2, (long) m * cfg.kvDim());
        vScratch = last ? null : buffers.bf16(Group.PHASE2, (long) m * cfg.kvDim());
        tok = buffers.i32(Group.PHASE2, m);
        pos = buffers.i32(Group.PHASE2, m);
        logits = last ? buffers.f32(Group.PHASE2, cfg.vocabSize()) : null;
        allOut = hosts > 1 ? buffers.f32(Group.PHASE2, (long) hosts * m * qDim) : null;
        allLse = hosts > 1 ? buffers.f32(Group.PHASE2, (long) hosts * m * nh) : null;
        if (hosts > 1) buffers.collective((long) m * qDim * 4, (long) hosts * m * qDim * 4);
        hostLogits = last && !buffers.planning() ? new float[cfg.vocabSize()] : null;
    }

    /** Runs the query, then greedy decoding up to {@code maxTokens} tokens (stopping after an EOS token). */
    Answer run(int maxTokens) {
        if (kv == null) throw new IllegalStateException("phase 2 of a dry run runs nothing");
        List<Integer> generated = new ArrayList<>();
        float[] firstLogits = null;
        int[] tokens = query;
        int position = contextLength;
        Phase phase = Phase.QUERY;
        while (true) {
            int next = step(phase, tokens, position);
            if (firstLogits == null && last) firstLogits = hostLogits.clone();
            position += tokens.length;
            generated.add(next);
            if (generated.size() >= maxTokens || isEos(next)) break;
            tokens = new int[] {next};
            phase = Phase.DECODE;
        }
        return new Answer(generated.stream().mapToInt(Integer::intValue).toArray(), firstLogits);
    }

    /** Runs tokens at [position, position + n) through all layers; returns the next token (on every rank). */
    private int step(Phase phase, int[] tokens, int position) {
        int n = tokens.length;
        RankStrategy.embed(steps, timer, staging, phase, tokens, PrefillPlanner.range(position, n), tok, pos, x);
        for (int layer = 0; layer < cfg.numLayers(); layer++) {
            final int l = layer;
            BF16Array kDst = last ? kv.k()[l] : kScratch;
            BF16Array vDst = last ? kv.v()[l] : vScratch;
            int kvRow = last ? kv.rows() + appended : 0;
            timer.time(phase, l, Category.QKV, () -> {
                steps.projectQkv(l, x, n, q, kDst, vDst, kvRow);
                steps.rope(q, kDst, kvRow, n, pos);
            });
            // the last rank's new tokens follow its block causally; earlier ranks' blocks lie wholly before them
            AttentionMask mask = last ? AttentionMask.appended(kv.rows() + appended, n) : AttentionMask.foreignBlock(kv.rows());
            timer.time(phase, l, Category.ATTENTION, () -> steps.attention(q, n, kv.k()[l], kv.v()[l], mask, out, lse));
            if (hosts > 1) mergeAcrossRanks(phase, l, n);
            timer.time(phase, l, Category.FFN, () -> steps.finishLayer(l, x, out, n));
            options.observer().afterLayer(phase, l, x, 0, n, position);
        }
        int next = -1;
        if (last) {
            int[] chosen = new int[1];
            timer.time(phase, -1, Category.OTHER, () -> {
                steps.logits(x, n - 1, logits);
                staging.toHost(logits, 0, hostLogits, 0, hostLogits.length);
                chosen[0] = argmax(hostLogits);
            });
            next = chosen[0];
            appended += n;
        }
        if (hosts > 1) {
            int[] token = {next};
            timer.time(phase, -1, Category.COMMUNICATION, () -> comm.broadcast(token, 0, 1, hosts - 1));
            next = token[0];
        }
        return next;
    }

    /** out, lse <- exact merge of every rank's partial result, in rank order (identical on all ranks). */
    private void mergeAcrossRanks(Phase phase, int l, int n) {
        int outCount = n * qDim;
        int lseCount = n * nh;
        // out and lse are gathered separately: they are arrays of their own; n rows of each rank are contiguous
        Transfer o = collectives.allGather(out, 0, outCount, allOut, 0);
        timer.await(phase, l, o);
        Transfer s = collectives.allGather(lse, 0, lseCount, allLse, 0);
        timer.await(phase, l, s);
        for (int r = 0; r < hosts; r++) {
            F32Array dstOut = r == 0 ? out : partOut;
            F32Array dstLse = r == 0 ? lse : partLse;
            int from = r;
            timer.time(phase, l, Category.STAGING, () -> {
                device.enqueueCopy(dstOut, 0, allOut, (long) from * outCount, outCount);
                device.enqueueCopy(dstLse, 0, allLse, (long) from * lseCount, lseCount);
            });
            if (r > 0) timer.time(phase, l, Category.ATTENTION, () -> steps.mergeAttention(out, lse, partOut, partLse, n));
        }
    }

    private boolean isEos(int token) {
        for (int e : cfg.eosTokenIds()) if (e == token) return true;
        return false;
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
