package org.apbj.parallel.rank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apbj.parallel.transfer.CommPath;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.Devices;
import org.apbj.model.DeviceModel;
import org.apbj.model.MemoryPlan;
import org.apbj.parallel.comm.InProcessRanks;
import org.apbj.parallel.comm.RankFailedException;
import org.apbj.parallel.strategy.Method;
import org.apbj.parallel.strategy.TinyNiah;
import org.apbj.weights.ModelConfig;
import org.apbj.weights.ModelConfigs;
import org.apbj.weights.RetainingHeads;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A rank's memory plan, item by item, on tiny-niah: every buffer group of a request (the rank's
 * KV cache, the layer K/V of [anchor ; block], the passing blocks or the ring's double buffers,
 * the host path's pinned staging) against its size worked out here from the shapes; and a job
 * that does not fit on its ranks' devices (Java devices of 24 MiB) is refused before loading with
 * those items and the fix, which holds: the same context on more ranks fits.
 */
class RankMemoryPlanTest {

    static final String SMALL_DEVICE = "java:1:24m";
    static final int QUERY = 41;
    static final int MAX_TOKENS = 2;

    static RankArgs args(Method method, int contextTokens, Integer anchor, Integer passing, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] context = r.ints(contextTokens, 5, 2048).toArray();
        int[] query = r.ints(QUERY, 5, 2048).toArray();
        return new RankArgs(TinyNiah.dir(), TinyNiah.dir().resolve("retaining_heads.safetensors"), method,
                List.of(new TokenRequest(context, query)), null, anchor, passing, TinyNiah.QPOS, MAX_TOKENS, SMALL_DEVICE, null,
                Duration.ofSeconds(60), null, false, false, CommPath.AUTO, true);
    }

    static int retainingHidden(ModelConfig cfg) {
        try (RetainingHeads h = RetainingHeads.load(TinyNiah.dir().resolve("retaining_heads.safetensors"), cfg)) {
            return h.hiddenSize();
        }
    }

    /** Every rank's job plan, made on its own fresh device (nothing allocated, nothing loaded). */
    static List<RankJob.JobPlan> plans(int ranks, RankArgs args) {
        ModelConfig cfg = ModelConfigs.load(TinyNiah.dir());
        int retaining = retainingHidden(cfg);
        return InProcessRanks.run(ranks, Duration.ofSeconds(60), comm -> {
            try (Device device = Devices.open(SMALL_DEVICE)) {
                return RankJob.plan(cfg, retaining, device, comm, args);
            }
        });
    }

    @Test
    @Timeout(120)
    void apbItemsAreTheRanksBuffersByShape() {
        int hosts = 4, context = 4096, la = 64, lp = 32;
        ModelConfig c = ModelConfigs.load(TinyNiah.dir());
        List<RankJob.JobPlan> plans = plans(hosts, args(Method.APB, context, la, lp, 11));
        long kvRow = 2L * c.kvDim() * 2;   // K and V, bf16
        int b = context / hosts;
        for (int r = 0; r < hosts; r++) {
            MemoryPlan p = plans.get(r).plan();
            boolean last = r == hosts - 1;
            int anchor = r == 0 ? 0 : la, rows = anchor + b;
            String at = "rank " + r + ": " + p;
            assertEquals(MemoryPlan.weightBytes(c, retainingHidden(c)), p.bytes("weights"), at);
            assertEquals(c.numLayers() * (b + (last ? QUERY + MAX_TOKENS : 0)) * kvRow, p.bytes("KV cache of the rank's block"), at);
            assertEquals(rows * kvRow, p.bytes("layer K/V of [anchor ; block]"), at);
            long sentAndGathered = lp * kvRow + (long) hosts * lp * kvRow;
            long attendedP = r > 0 ? (long) rows * (c.qDim() + c.numHeads()) * 4 : 0;   // out and lse over P before the merge
            assertEquals(sentAndGathered + attendedP, p.bytes("passing blocks (sent, gathered, attended)"), at);
            assertEquals(0, p.bytes("ring double buffers"), at);
            long phase2Send = (long) QUERY * c.qDim() * 4;
            assertEquals(Math.max(lp * kvRow, phase2Send) + Math.max(hosts * lp * kvRow, hosts * phase2Send), p.hostBytes(), at);
            assertEquals(p.hostBytes(), p.bytes("host-path staging"), at);
            assertTrue(p.bytes("prefill workspace") >= (long) rows * (c.hiddenSize() + 2L * c.qDim()) * 4, at);
            assertTrue(p.bytes("query and decode buffers") >= (long) hosts * QUERY * c.qDim() * 4, at);
            long sum = 0;
            for (MemoryPlan.Item i : p.items()) if (!i.host()) sum += i.bytes();
            assertEquals(sum, p.totalBytes(), at);
        }
    }

    @Test
    @Timeout(120)
    void ringItemsHoldTwoBlockSlotsAndNoPassingBlocks() {
        int hosts = 3, context = 3000;
        ModelConfig c = ModelConfigs.load(TinyNiah.dir());
        List<RankJob.JobPlan> plans = plans(hosts, args(Method.RING, context, null, null, 12));
        long kvRow = 2L * c.kvDim() * 2;
        int b = context / hosts;
        for (int r = 0; r < hosts; r++) {
            MemoryPlan p = plans.get(r).plan();
            String at = "rank " + r + ": " + p;
            long partial = (long) b * (c.qDim() + c.numHeads()) * 4;   // a foreign block's out and lse before the merge
            assertEquals(2L * b * kvRow + partial, p.bytes("ring double buffers"), at);
            assertEquals(0, p.bytes("passing blocks (sent, gathered, attended)"), at);
            assertEquals(0, p.bytes("layer K/V of [anchor ; block]"), at);
            assertEquals(2L * b * kvRow, p.hostBytes(), at);   // one block of K and V each way
        }
    }

    @Test
    @Timeout(300)
    void aJobThatDoesNotFitItsRanksIsRefusedBeforeLoadingAndMoreRanksFit() {
        int context = 3000;
        RankArgs job = args(Method.APB, context, null, null, 13);
        long loadsBefore = DeviceModel.loads();
        var failed = assertThrows(RankFailedException.class,
                () -> InProcessRanks.run(2, Duration.ofSeconds(120), comm -> RankJob.run(comm, job)));
        assertTrue(failed.isUserError(), failed.toString());
        var e = assertInstanceOf(MemoryPlan.DoesNotFit.class, failed.getCause());
        String m = e.getMessage();
        System.out.println(m);
        assertEquals(loadsBefore, DeviceModel.loads(), "refused before the model was loaded: " + m);
        for (String item : List.of("weights ", "KV cache of the rank's block ", "layer K/V of [anchor ; block] ",
                "passing blocks (sent, gathered, attended) ", "prefill workspace ", "query and decode buffers ",
                "of pinned host memory: host-path staging ")) {
            assertTrue(m.contains(item), "the refusal names '" + item.strip() + "': " + m);
        }
        assertTrue(m.contains("use more ranks") && m.contains("a shorter context"), m);
        Matcher fits = Pattern.compile("with 2 ranks the largest context that fits \\(on every rank\\) is (\\d+) tokens").matcher(m);
        assertTrue(fits.find(), m);
        assertTrue(Integer.parseInt(fits.group(1)) < context, m);

        for (RankJob.JobPlan p : plans(8, job)) assertTrue(p.plan().fits(), "on 8 ranks: " + p.plan());
        for (RankJob.JobPlan p : plans(2, args(Method.APB, Integer.parseInt(fits.group(1)), null, null, 13))) {
            assertTrue(p.plan().fits(), "the advised context on 2 ranks: " + p.plan());
        }
    }
}
