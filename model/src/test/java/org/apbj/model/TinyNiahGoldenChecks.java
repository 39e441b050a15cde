package org.apbj.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.runtime.Device;
import org.apbj.weights.ModelWeights;
import org.apbj.weights.RetainingHeads;
import org.apbj.weights.SafetensorsFile;
import org.apbj.weights.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The DenseGenerator (and its DeviceModel's layer steps) on one device against the golden vectors of models/tiny-niah (fp32 from the
 * bf16 weights): within bf16 tolerance, since it keeps K and V in bf16. Also answers the golden
 * 1024-token needle-in-a-haystack prompt by greedy decoding. Subclasses pick the device.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class TinyNiahGoldenChecks {

    Device device;
    ModelWeights weights;
    RetainingHeads heads;
    DenseGenerator tf;
    DeviceModel steps;
    int[] ids;
    final Map<String, float[]> golden = new HashMap<>();

    /** Opens the device under test (or skips). */
    abstract Device openDevice();

    @BeforeAll
    void load() {
        Path dir = TestFiles.tinyNiah();
        for (String file : new String[] {"golden/dense_1024.safetensors", "golden/retaining_scores_layer0_1024.safetensors"}) {
            try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(file))) {
                for (Tensor t : f.tensors()) {
                    if (t.name().equals("input_ids")) ids = t.toIntArray();
                    else golden.put(t.name(), t.toFloatArray());
                }
            }
        }
        device = openDevice();
        weights = ModelWeights.open(dir);
        heads = RetainingHeads.load(dir.resolve("retaining_heads.safetensors"), weights.config());
        tf = DenseGenerator.load(device, weights, heads, DenseGenerator.Options.context(ids.length + 16).withPrefillChunk(512));
        steps = tf.model();
    }

    @AfterAll
    void close() {
        if (tf != null) tf.close();
        if (heads != null) heads.close();
        if (weights != null) weights.close();
        if (device != null) device.close();
    }

    @Test
    void lastFourLogitRowsMatchGoldenThroughPrefillAndDecode() {
        int vocab = weights.config().vocabSize();
        float[] expected = golden.get("logits_last4");
        float[][] rows = new float[4][];
        rows[0] = tf.prefill(Arrays.copyOf(ids, 1021));
        for (int i = 1; i < 4; i++) rows[i] = tf.decode(ids[1020 + i]);
        for (int r = 0; r < 4; r++) {
            double rel = GeneratorVsReferenceTest.relativeError(rows[r], Arrays.copyOfRange(expected, r * vocab, (r + 1) * vocab));
            System.out.printf("tiny-niah logits row %d: max|Δ|/range %.2e%n", 1020 + r, rel);
            assertTrue(rel <= 1e-2, "row " + (1020 + r) + ": " + rel);
        }
    }

    @Test
    void embeddingsAndLayerZeroOutputMatchGolden() {
        var c = weights.config();
        int n = 8, h = c.hiddenSize();
        try (I32Array tok = device.upload(I32Array.fromArray(Arrays.copyOf(ids, n)));
             I32Array pos = device.upload(I32Array.fromArray(0, 1, 2, 3, 4, 5, 6, 7));
             F32Array x = device.allocF32((long) n * h);
             F32Array q = device.allocF32((long) n * c.qDim());
             BF16Array k = device.allocBF16((long) n * c.kvDim());
             BF16Array v = device.allocBF16((long) n * c.kvDim());
             F32Array out = device.allocF32((long) n * c.qDim());
             F32Array lse = device.allocF32((long) n * c.numHeads())) {
            steps.embed(tok, n, x);
            float[] emb = host(x);
            assertArrayEquals(golden.get("embeddings_first8"), emb, 0f, "embeddings are exact bf16 widenings");
            steps.projectQkv(0, x, n, q, k, v, 0);
            steps.rope(q, k, 0, n, pos);
            steps.attention(q, n, k, v, AttentionMask.causal(n), out, lse);
            steps.finishLayer(0, x, out, n);
            float[] hidden = host(x);
            float[] want = golden.get("hidden_layer0_first8");
            float scale = 0;
            for (float f : want) scale = Math.max(scale, Math.abs(f));
            double maxDiff = 0;
            for (int i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(hidden[i] - want[i]));
            System.out.printf("tiny-niah layer-0 output: max|Δ| %.3g for values up to %.3g%n", maxDiff, scale);
            assertTrue(maxDiff <= 1e-2 * scale, "layer-0 output max|Δ| " + maxDiff);
        }
    }

    @Test
    void retainingScoresOfLayerZeroMatchGolden() {
        var c = weights.config();
        int n = ids.length;
        try (I32Array tok = device.upload(I32Array.fromArray(ids));
             F32Array x = device.allocF32((long) n * c.hiddenSize());
             F32Array q = device.allocF32((long) n * c.qDim());
             BF16Array k = device.allocBF16((long) n * c.kvDim());
             BF16Array v = device.allocBF16((long) n * c.kvDim());
             F32Array scores = device.allocF32((long) n * c.numKvHeads())) {
            steps.reserve(n, n);   // the whole prompt in one call: more rows than the generator's chunks
            steps.embed(tok, n, x);
            steps.projectQkv(0, x, n, q, k, v, 0);
            steps.retainingScores(0, q, k, v, 0, n, scores);
            float[] got = host(scores);
            float[] want = golden.get("scores_layer0_maxpool");
            double rel = GeneratorVsReferenceTest.relativeError(got, want);
            System.out.printf("tiny-niah layer-0 retaining scores (max-pooled): max|Δ|/range %.2e%n", rel);
            assertTrue(rel <= 1e-2, "retaining scores " + rel);
        }
    }

    @Test
    void answersTheNeedleByGreedyDecoding() {
        int[] expected = {225, 25, 998, 20, 29, 22, 22, 16};   // " 5610922," from golden_meta.json
        long t0 = System.nanoTime();
        int[] got = tf.generate(ids, expected.length, t -> t == 1);
        System.out.printf("tiny-niah 1024-token prefill + %d decode steps on %s: %.2f s%n", expected.length, device.name(),
                (System.nanoTime() - t0) / 1e9);
        assertArrayEquals(expected, got, "greedy continuation " + Arrays.toString(got));
    }

    private float[] host(F32Array a) {
        try (F32Array h = F32Array.allocate(a.length())) {
            device.copyOut(h, a);
            return h.toArray();
        }
    }
}
