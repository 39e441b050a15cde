package org.apbj.parallel.strategy;

import org.apbj.kernels.testing.TestSeed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import org.apbj.parallel.comm.InProcessGroup;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The strategies on a tiny random model computed in plain Java: the exact methods must equal
 * dense attention up to fp32 rounding, on every rank count and with padding.
 */
@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class StrategyEquivalenceTest {

    private static final float TOL = 2e-4f;
    private final long seed = TestSeed.next();
    private final Random rnd = new Random(seed);
    private final int[] context = rnd.ints(37, 2, 64).toArray();   // 37: every H in 2..4 pads the last block
    private final int[] query = rnd.ints(5, 2, 64).toArray();
    private final StrategyOptions options = StrategyOptions.defaults(2, 4);

    private RankRun run(Method m, int hosts, StrategyOptions o) {
        return RankRun.run(m, hosts, context, query, o, 4, comm -> new HostLayerSteps(HostLayerSteps.tinyConfig(), seed));
    }

    @ParameterizedTest(name = "ring on {0} ranks")
    @ValueSource(ints = {2, 3, 4})
    void ringEqualsDense(int hosts) {
        RankRun dense = run(Method.DENSE, 1, options);
        RankRun ring = run(Method.RING, hosts, options);
        assertSameHidden(dense, ring, context.length + query.length);
        assertSameAnswer(dense, ring);
    }

    @ParameterizedTest(name = "apb with l_a=0, l_p=B on {0} ranks")
    @ValueSource(ints = {2, 3, 4})
    void apbPassingEverythingEqualsDense(int hosts) {
        int block = (int) Math.ceilDiv(context.length, hosts);
        RankRun dense = run(Method.DENSE, 1, options);
        RankRun apb = run(Method.APB, hosts, options.withLengths(0, block));
        assertSameHidden(dense, apb, context.length + query.length);
        assertSameAnswer(dense, apb);
        for (int r = 0; r < hosts - 1; r++) {   // every non-last rank passed its whole block, per head
            int[][] sel = apb.selections.get(r + "/0");
            for (int[] head : sel) {
                int[] sorted = head.clone();
                java.util.Arrays.sort(sorted);
                for (int j = 0; j < block; j++) assertEquals(r * block + j, sorted[j]);
            }
        }
    }

    @Test
    void starOnOneRankEqualsDense() {
        RankRun dense = run(Method.DENSE, 1, options);
        RankRun star = run(Method.STAR, 1, options);
        assertSameHidden(dense, star, context.length + query.length);
        assertSameAnswer(dense, star);
    }

    @Test
    void starOnThreeRanksIsExactForTheFirstBlockOnlyAndAnswersOnEveryRank() {
        RankRun dense = run(Method.DENSE, 1, options);
        RankRun star = run(Method.STAR, 3, options);
        int block = 13;
        Map<Integer, float[]> d = dense.hidden.get("PREFILL/1"), s = star.hidden.get("PREFILL/1");
        for (int pos = 0; pos < block; pos++) assertClose(d.get(pos), s.get(pos), "rank 0 row " + pos);
        float maxDiff = 0;
        for (int pos = block; pos < context.length; pos++) maxDiff = Math.max(maxDiff, maxAbsDiff(d.get(pos), s.get(pos)));
        assertTrue(maxDiff > 1e-3, "later blocks see only the anchor, so they must differ from dense; max diff " + maxDiff);
        int[] tokens = star.answers.get(0).tokens();
        for (Answer a : star.answers) assertArrayEquals(tokens, a.tokens(), "every rank returns the broadcast tokens");
        assertNull(star.answers.get(0).firstLogits());
        assertNotNull(star.lastAnswer().firstLogits());
    }

    @ParameterizedTest(name = "{0} on 3 ranks")
    @ValueSource(strings = {"ring", "apb"})
    void overlapAndThePathChangeNothingBitForBit(String methodId) {
        Method m = Method.parse(methodId);
        StrategyOptions o = m == Method.APB ? options.withLengths(8, 3) : options;
        RankRun reference = run(m, 3, o.withCommunication(org.apbj.parallel.transfer.CommPath.DEVICE, false));
        for (var path : java.util.List.of(org.apbj.parallel.transfer.CommPath.DEVICE, org.apbj.parallel.transfer.CommPath.HOST)) {
            for (boolean overlap : new boolean[] {true, false}) {
                RankRun other = run(m, 3, o.withCommunication(path, overlap));
                String what = m.id() + " over the " + path.id() + " path, overlap " + overlap + ", seed " + seed;
                for (String phaseLayer : reference.hidden.keySet()) {
                    for (var e : reference.hidden.get(phaseLayer).entrySet()) {
                        assertArrayEquals(e.getValue(), other.hidden.get(phaseLayer).get(e.getKey()), what + ": " + phaseLayer + " position " + e.getKey());
                    }
                }
                assertArrayEquals(reference.lastAnswer().firstLogits(), other.lastAnswer().firstLogits(), what + ": logits");
                assertArrayEquals(reference.lastAnswer().tokens(), other.lastAnswer().tokens(), what + ": tokens");
            }
        }
    }

    @Test
    void aRankThatThrowsMidLayerFailsEveryRankWithTheCause() {
        var e = assertThrows(RuntimeException.class, () -> RankRun.run(Method.APB, 3, context, query, options, 4, comm -> {
            var steps = new HostLayerSteps(HostLayerSteps.tinyConfig(), seed);
            return comm.rank() == 1 ? new org.apbj.parallel.rank.FailingLayerSteps(steps, 1) : steps;
        }));
        assertTrue(e.getMessage().contains("injected failure in the FFN of layer 1"), e.getMessage());
        java.util.List<Throwable> all = new java.util.ArrayList<>(java.util.List.of(e.getSuppressed()));
        all.add(e);
        assertEquals(3, all.size(), "one failure per rank: " + all);
        for (Throwable t : all) assertTrue(String.valueOf(t.getMessage()).contains("injected failure"), "rank failure without the cause: " + t);
    }

    @Test
    void denseRefusesSeveralRanks() {
        var comm = new InProcessGroup(2).communicator(0);
        var e = assertThrows(IllegalArgumentException.class, () ->
                Strategies.create(Method.DENSE, new HostLayerSteps(HostLayerSteps.tinyConfig(), 1), comm, options));
        assertTrue(e.getMessage().contains("dense runs on one rank"), e.getMessage());
    }

    @Test
    void badRequestsAreRejectedWithTheFix() {
        var comm = new InProcessGroup(1).communicator(0);
        try (Strategy s = Strategies.create(Method.APB, new HostLayerSteps(HostLayerSteps.tinyConfig(), 1), comm, options)) {
            var e = assertThrows(IllegalArgumentException.class, () -> s.prefill(new int[] {3, 99}, query));
            assertTrue(e.getMessage().contains("outside the vocabulary"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> s.answer(1));
            s.prefill(context, query);
            var e2 = assertThrows(IllegalArgumentException.class, () -> s.answer(5));
            assertTrue(e2.getMessage().contains("raise StrategyOptions.maxNewTokens"), e2.getMessage());
        }
    }

    /** Every layer's hidden state of every real row (context and query) matches. */
    static void assertSameHidden(RankRun expected, RankRun actual, int positions) {
        for (String phaseLayer : expected.hidden.keySet()) {
            if (phaseLayer.startsWith("DECODE")) continue;   // decode steps overwrite by position; compared via tokens
            Map<Integer, float[]> e = expected.hidden.get(phaseLayer), a = actual.hidden.get(phaseLayer);
            assertNotNull(a, "no hidden states for " + phaseLayer);
            for (var entry : e.entrySet()) {
                assertClose(entry.getValue(), a.get(entry.getKey()), phaseLayer + " position " + entry.getKey());
            }
        }
        assertEquals(positions, expected.hidden.get("PREFILL/0").size() + expected.hidden.get("QUERY/0").size());
    }

    static void assertSameAnswer(RankRun expected, RankRun actual) {
        assertClose(expected.lastAnswer().firstLogits(), actual.lastAnswer().firstLogits(), "first-token logits");
        for (Answer a : actual.answers) assertArrayEquals(expected.lastAnswer().tokens(), a.tokens(), "generated tokens");
    }

    static void assertClose(float[] e, float[] a, String what) {
        assertNotNull(a, what + " missing");
        assertEquals(e.length, a.length, what);
        float d = maxAbsDiff(e, a);
        assertTrue(d <= TOL, what + ": max |diff| " + d + " > " + TOL);
    }

    static float maxAbsDiff(float[] e, float[] a) {
        float d = 0;
        for (int i = 0; i < e.length; i++) d = Math.max(d, Math.abs(e[i] - a[i]));
        return d;
    }
}
