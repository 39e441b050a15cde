package org.apbj.parallel.strategy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apbj.model.DeviceModel;
import org.apbj.model.reference.ReferenceModel;
import org.apbj.weights.ModelWeights;
import org.apbj.weights.RetainingHeads;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The strategies driving the model module's DeviceModel (OpenCL when installed, else the Java
 * device) on the tiny-niah model,
 * against the model module's plain-Java ReferenceModel on the same tokens: the exact methods
 * reproduce every layer's hidden states of every context and query row and the first-token logits
 * (dense against the reference within the kernels' bf16-KV precision; the distributed methods
 * against dense on the same kernels, up to fp32 rounding of the merges).
 */
class TinyNiahStrategiesTest {

    static final int CONTEXT = 121;   // 3 ranks: blocks of 41, 2 padding tokens on the last
    static int[] context, query;
    static ReferenceModel.Prefill reference;
    static int hidden;
    static RankRun dense;
    static final float KERNELS_VS_REFERENCE = 3e-2f;   // bf16 K/V against the fp32 reference, after 4 layers
    // Merge order, and on OpenCL projections tiled by block length (so bf16 K/V can round the other
    // way), after 4 layers: measured up to 5.4e-4; a missing block or wrong mask gives > 1e-2.
    static final float METHOD_VS_DENSE = 2e-3f;

    @BeforeAll
    static void referenceRun() {
        int[][] req = TinyNiah.request(CONTEXT);
        context = req[0];
        query = req[1];
        try (ModelWeights w = ModelWeights.open(TinyNiah.dir());
             RetainingHeads heads = RetainingHeads.load(TinyNiah.dir().resolve("retaining_heads.safetensors"), w.config())) {
            ReferenceModel ref = ReferenceModel.load(w, heads);
            hidden = w.config().hiddenSize();
            int[] all = new int[CONTEXT + query.length];
            System.arraycopy(context, 0, all, 0, CONTEXT);
            System.arraycopy(query, 0, all, CONTEXT, query.length);
            reference = ref.prefill(all, 1, true);
        }
        dense = run(Method.DENSE, 1, StrategyOptions.defaults(TinyNiah.QPOS, 3));
    }

    /** Dense's rows as one array per layer and phase-ordered positions, to compare like the reference. */
    static List<float[]> denseLayers() {
        List<float[]> out = new ArrayList<>();
        for (int l = 0; l < reference.layerOutputs().size(); l++) {
            float[] all = new float[(CONTEXT + query.length) * hidden];
            for (int pos = 0; pos < CONTEXT; pos++) System.arraycopy(dense.hidden.get("PREFILL/" + l).get(pos), 0, all, pos * hidden, hidden);
            for (int i = 0; i < query.length; i++) System.arraycopy(dense.hidden.get("QUERY/" + l).get(CONTEXT + i), 0, all, (CONTEXT + i) * hidden, hidden);
            out.add(all);
        }
        return out;
    }

    private static RankRun run(Method m, int hosts, StrategyOptions o) {
        return RankRun.run(m, hosts, context, query, o, 3, comm -> TinyNiah.load());
    }

    @Test
    void denseMatchesTheReferenceModel() {
        assertMatches(reference.layerOutputs(), reference.logits()[0], dense, "dense", KERNELS_VS_REFERENCE);
    }

    @Test
    void ringOnThreeRanksMatchesTheReferenceModel() {
        assertMatches(denseLayers(), dense.lastAnswer().firstLogits(), run(Method.RING, 3, StrategyOptions.defaults(TinyNiah.QPOS, 3)),
                "ring", METHOD_VS_DENSE);
    }

    @Test
    void apbPassingWholeBlocksMatchesTheReferenceModel() {
        assertMatches(denseLayers(), dense.lastAnswer().firstLogits(),
                run(Method.APB, 3, StrategyOptions.defaults(TinyNiah.QPOS, 3).withLengths(0, 41)), "apb l_p=B", METHOD_VS_DENSE);
    }

    @Test
    void apbWithTheDefaultRuleIsExactOnRankZeroAndAnswersConsistently() {
        RankRun apb = run(Method.APB, 2, StrategyOptions.defaults(TinyNiah.QPOS, 3));
        // rank 0 has neither anchor nor passing block: its rows are dense rows
        Map<Integer, float[]> l3 = apb.hidden.get("PREFILL/3");
        float[] denseL3 = denseLayers().get(3);
        for (int pos = 0; pos < 61; pos++) assertRowClose(denseL3, pos, l3.get(pos), "apb rank 0 layer 3 row " + pos, METHOD_VS_DENSE);
        int[] tokens = apb.answers.get(0).tokens();
        assertEquals(3, tokens.length);
        assertArrayEquals(tokens, apb.answers.get(1).tokens());
        assertNotNull(apb.answers.get(1).firstLogits());
    }

    @Test
    void everyMethodOnFourRanksAnswersTheGoldenNeedle() throws Exception {
        int[][] req = TinyNiah.request(TinyNiah.GOLDEN_CONTEXT);
        var meta = new com.fasterxml.jackson.databind.ObjectMapper().readTree(TinyNiah.dir().resolve("golden/golden_meta.json").toFile());
        var idsNode = meta.get("greedy_continuation_dense_fp32").get("ids");
        int[] golden = new int[8];
        for (int i = 0; i < golden.length; i++) golden[i] = idsNode.get(i).asInt();
        for (Method m : List.of(Method.RING, Method.STAR, Method.APB)) {
            RankRun r = RankRun.run(m, 4, req[0], req[1], StrategyOptions.defaults(TinyNiah.QPOS, golden.length), golden.length,
                    c -> TinyNiah.load());
            for (var a : r.answers) assertArrayEquals(golden, a.tokens(), m + ": greedy answer on every rank");
        }
    }

    static void assertMatches(List<float[]> layers, float[] expected, RankRun run, String what, float tol) {
        for (int l = 0; l < layers.size(); l++) {
            Map<Integer, float[]> pre = run.hidden.get("PREFILL/" + l);
            Map<Integer, float[]> q = run.hidden.get("QUERY/" + l);
            assertEquals(CONTEXT, pre.size(), what + ": context rows seen in layer " + l);
            assertEquals(query.length, q.size(), what + ": query rows seen in layer " + l);
            for (int pos = 0; pos < CONTEXT; pos++) assertRowClose(layers.get(l), pos, pre.get(pos), what + " layer " + l + " row " + pos, tol);
            for (int i = 0; i < query.length; i++) assertRowClose(layers.get(l), CONTEXT + i, q.get(CONTEXT + i), what + " layer " + l + " query row " + i, tol);
        }
        float[] actual = run.answers.get(run.answers.size() - 1).firstLogits();
        float scale = 0, diff = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            diff = Math.max(diff, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(diff <= tol * scale, what + ": first-token logits max |diff| " + diff + " for values up to " + scale);
        List<Integer> argmaxes = new ArrayList<>();
        for (var a : run.answers) argmaxes.add(a.tokens()[0]);
        for (int t : argmaxes) assertEquals(ReferenceModel.argmax(expected), t, what + ": first generated token");
    }

    /** Row {@code row} of {@code all} within {@code tol} times the row's largest value. */
    static void assertRowClose(float[] all, int row, float[] actual, String what, float tol) {
        assertRowClose(java.util.Arrays.copyOfRange(all, row * hidden, (row + 1) * hidden), actual, what, tol);
    }

    static void assertRowClose(float[] expected, float[] actual, String what, float tol) {
        assertNotNull(actual, what + " missing");
        float scale = 0, diff = 0;
        for (int j = 0; j < expected.length; j++) {
            scale = Math.max(scale, Math.abs(expected[j]));
            diff = Math.max(diff, Math.abs(expected[j] - actual[j]));
        }
        assertTrue(diff <= tol * scale, what + ": max |diff| " + diff + " for values up to " + scale);
    }
}
