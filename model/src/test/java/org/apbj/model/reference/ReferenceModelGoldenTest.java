package org.apbj.model.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import org.apbj.model.TestFiles;
import org.apbj.weights.ModelWeights;
import org.apbj.weights.RetainingHeads;
import org.apbj.weights.SafetensorsFile;
import org.apbj.weights.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The reference forward against the golden fp32 vectors of models/tiny-niah (computed with transformers). */
class ReferenceModelGoldenTest {

    static ReferenceModel model;
    static int[] ids;
    static Map<String, float[]> golden = new HashMap<>();

    @BeforeAll
    static void load() {
        Path dir = TestFiles.tinyNiah();
        try (ModelWeights w = ModelWeights.open(dir);
             RetainingHeads heads = RetainingHeads.load(dir.resolve("retaining_heads.safetensors"), w.config())) {
            model = ReferenceModel.load(w, heads);
        }
        for (String file : new String[] {"golden/dense_1024.safetensors", "golden/retaining_scores_layer0_1024.safetensors"}) {
            try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(file))) {
                for (Tensor t : f.tensors()) {
                    if (t.name().equals("input_ids")) ids = t.toIntArray();
                    else golden.put(t.name(), t.toFloatArray());
                }
            }
        }
    }

    static float maxAbsDiff(float[] a, float[] b) {
        assertTrue(a.length == b.length, "lengths " + a.length + " vs " + b.length);
        float m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    static float maxAbs(float[] a) {
        float m = 0;
        for (float v : a) m = Math.max(m, Math.abs(v));
        return m;
    }

    @Test
    void prefillMatchesGoldenLogitsAndHiddenStates() {
        long t0 = System.nanoTime();
        var p = model.prefill(ids, 4, true);
        System.out.printf("reference prefill of %d tokens: %.2f s%n", ids.length, (System.nanoTime() - t0) / 1e9);
        float[] logits = new float[4 * 2048];
        for (int r = 0; r < 4; r++) System.arraycopy(p.logits()[r], 0, logits, r * 2048, 2048);
        float dl = maxAbsDiff(logits, golden.get("logits_last4"));
        float[] emb8 = Arrays.copyOf(p.embeddings(), 8 * 384);
        float[] h8 = Arrays.copyOf(p.layerOutputs().get(0), 8 * 384);
        float de = maxAbsDiff(emb8, golden.get("embeddings_first8"));
        float dh = maxAbsDiff(h8, golden.get("hidden_layer0_first8"));
        System.out.printf("max |Δ| logits %.3g, layer-0 hidden %.3g, embeddings %.3g%n", dl, dh, de);
        assertTrue(de == 0, "embeddings are exact bf16 widenings, got max |Δ| " + de);
        // fp32 with a different summation order: a few ulps of the largest value
        float hScale = maxAbs(golden.get("hidden_layer0_first8"));
        float lScale = maxAbs(golden.get("logits_last4"));
        assertTrue(dh < 1e-5f * hScale, "layer-0 hidden max |Δ| " + dh + " for values up to " + hScale);
        assertTrue(dl < 1e-5f * lScale, "logits max |Δ| " + dl + " for values up to " + lScale);
    }

    @Test
    void retainingScoresMatchGolden() {
        float[] raw = model.retainingScores(ids, 0);
        float[] pooled = ReferenceModel.maxPool(raw, ids.length, 2, 5);
        float dr = maxAbsDiff(raw, golden.get("scores_layer0_raw"));
        float dp = maxAbsDiff(pooled, golden.get("scores_layer0_maxpool"));
        System.out.printf("retaining scores max |Δ| raw %.3g pooled %.3g%n", dr, dp);
        assertTrue(dr < 1e-4 && dp < 1e-4, "raw " + dr + " pooled " + dp);
    }

    @Test
    void greedyDecodingAnswersTheNeedle() {
        int[] expected = {225, 25, 998, 20, 29, 22, 22, 16};
        int[] got = model.generate(ids, 8, t -> t == 1);
        assertArrayEquals(expected, got, "greedy continuation " + Arrays.toString(got));
    }
}
