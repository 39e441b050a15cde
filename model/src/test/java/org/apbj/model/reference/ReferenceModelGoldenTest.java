package org.apbj.model.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import org.apbj.model.TestFiles;
import org.apbj.weights.ModelConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The reference forward against the golden fp32 vectors of models/tiny-niah (computed with transformers). */
class ReferenceModelGoldenTest {

    static ReferenceModel model;
    static int[] ids;
    static Map<String, TestFiles.Tensor> dense;
    static Map<String, TestFiles.Tensor> scores;

    static ModelConfig tinyNiahConfig() {
        return new ModelConfig(ModelConfig.Family.LLAMA, 384, 768, 4, 6, 2, 64, 1e-5f, 500000.0, null,
                2048, false, 131072, false, 0, new int[] {1});
    }

    @BeforeAll
    static void load() {
        Path dir = TestFiles.tinyNiah();
        var w = TestFiles.readSafetensors(dir.resolve("model.safetensors"));
        var heads = TestFiles.readSafetensors(dir.resolve("retaining_heads.safetensors"));
        model = ReferenceModel.load(tinyNiahConfig(),
                name -> w.containsKey(name) ? w.get(name).floats() : null,
                name -> heads.containsKey(name) ? heads.get(name).floats() : null);
        dense = TestFiles.readSafetensors(dir.resolve("golden/dense_1024.safetensors"));
        scores = TestFiles.readSafetensors(dir.resolve("golden/retaining_scores_layer0_1024.safetensors"));
        ids = dense.get("input_ids").ints();
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
        float dl = maxAbsDiff(logits, dense.get("logits_last4").floats());
        float[] emb8 = Arrays.copyOf(p.embeddings(), 8 * 384);
        float[] h8 = Arrays.copyOf(p.layerOutputs().get(0), 8 * 384);
        float de = maxAbsDiff(emb8, dense.get("embeddings_first8").floats());
        float dh = maxAbsDiff(h8, dense.get("hidden_layer0_first8").floats());
        System.out.printf("max |Δ| logits %.3g, layer-0 hidden %.3g, embeddings %.3g%n", dl, dh, de);
        assertTrue(de == 0, "embeddings are exact bf16 widenings, got max |Δ| " + de);
        // fp32 with a different summation order: a few ulps of the largest value
        float hScale = maxAbs(dense.get("hidden_layer0_first8").floats());
        float lScale = maxAbs(dense.get("logits_last4").floats());
        assertTrue(dh < 1e-5f * hScale, "layer-0 hidden max |Δ| " + dh + " for values up to " + hScale);
        assertTrue(dl < 1e-5f * lScale, "logits max |Δ| " + dl + " for values up to " + lScale);
    }

    @Test
    void retainingScoresMatchGolden() {
        float[] raw = model.retainingScores(ids, 0);
        float[] pooled = ReferenceModel.maxPool(raw, ids.length, 2, 5);
        float dr = maxAbsDiff(raw, scores.get("scores_layer0_raw").floats());
        float dp = maxAbsDiff(pooled, scores.get("scores_layer0_maxpool").floats());
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
