package org.apbj.weights;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Retaining heads load all or nothing, with R read from the file. */
class RetainingHeadsTest {
    @TempDir
    Path dir;

    @Test
    void tinyNiahHeadsLoadWithR256() {
        Path model = TestModels.tinyNiah();
        ModelConfig c = ModelConfigs.load(model);
        try (RetainingHeads h = RetainingHeads.load(model.resolve("retaining_heads.safetensors"), c)) {
            assertEquals(256, h.hiddenSize());
            for (int i = 0; i < 4; i++) {
                assertArrayEquals(new long[] {256, 640}, h.fc1(i).shape());
                assertArrayEquals(new long[] {2, 256}, h.fc2(i).shape());
                assertEquals(DType.BF16, h.fc1(i).dtype());
            }
            // Values read independently from the file's bytes with Python (struct + json, bf16 -> f32).
            assertArrayEquals(new float[] {0.05615234375f, 0.0203857421875f, -0.034423828125f, -0.01416015625f},
                    new float[] {h.fc2(3).getFloat(0, 0), h.fc2(3).getFloat(0, 1), h.fc2(3).getFloat(0, 2),
                            h.fc2(3).getFloat(0, 3)});
            assertEquals(0.064453125f, h.fc2(3).getFloat(1, 0));
            assertEquals(0.034912109375f, h.fc1(0).getFloat(255, 639));
            assertThrows(IndexOutOfBoundsException.class, () -> h.fc1(4));
        }
    }

    @Test
    void headsOfAModelWithMoreLayersAreRefused() {
        Path model = TestModels.tinyNiah();
        ModelConfig deeper = ModelConfigs.load(model).withNumLayers(6);
        String msg = assertThrows(WeightsFormatException.class,
                () -> RetainingHeads.load(model.resolve("retaining_heads.safetensors"), deeper)).getMessage();
        assertTrue(msg.endsWith("missing 4 tensor(s) for a model of 6 layers: model.layers.4.self_attn.fc1.weight,"
                + " model.layers.4.self_attn.fc2.weight, model.layers.5.self_attn.fc1.weight,"
                + " model.layers.5.self_attn.fc2.weight"), msg);
    }

    @Test
    void headsOfAModelWithFewerLayersAreRefused() {
        Path model = TestModels.tinyNiah();
        ModelConfig shallower = ModelConfigs.load(model).withNumLayers(3);
        String msg = assertThrows(WeightsFormatException.class,
                () -> RetainingHeads.load(model.resolve("retaining_heads.safetensors"), shallower)).getMessage();
        assertTrue(msg.contains("2 unexpected tensor(s) for retaining heads of a 3-layer model:"
                + " model.layers.3.self_attn.fc1.weight, model.layers.3.self_attn.fc2.weight"), msg);
    }

    private String failure(Map<String, long[]> tensors) {
        Path f = dir.resolve("heads.safetensors");
        TestModelFiles.writeSafetensors(f, tensors);
        return assertThrows(WeightsFormatException.class,
                () -> RetainingHeads.load(f, TestModelFiles.smallLlama())).getMessage();
    }

    @Test
    void smallModelHeadsLoadWithTheirR() {
        ModelConfig c = TestModelFiles.smallLlama();   // (4 + 2*2) * 4 = 32 inputs, 2 KV heads
        Path f = dir.resolve("heads.safetensors");
        TestModelFiles.writeSafetensors(f, TensorNames.expectedRetainingHeads(c, 12));
        try (RetainingHeads h = RetainingHeads.load(f, c)) {
            assertEquals(12, h.hiddenSize());
            assertArrayEquals(new long[] {12, 32}, h.fc1(1).shape());
            assertArrayEquals(new long[] {2, 12}, h.fc2(1).shape());
            assertArrayEquals(TestModelFiles.values(2 * 12, 3), h.fc2(1).toFloatArray());
        }
    }

    @Test
    void missingLayer() {
        var t = new java.util.LinkedHashMap<>(TensorNames.expectedRetainingHeads(TestModelFiles.smallLlama(), 12));
        t.remove("model.layers.1.self_attn.fc2.weight");
        assertTrue(failure(t).endsWith("missing 1 tensor(s) for a model of 2 layers: model.layers.1.self_attn.fc2.weight"));
    }

    @Test
    void wrongShape() {
        var t = new java.util.LinkedHashMap<>(TensorNames.expectedRetainingHeads(TestModelFiles.smallLlama(), 12));
        t.put("model.layers.1.self_attn.fc1.weight", new long[] {12, 48});   // input width of a model with 4 KV heads
        assertTrue(failure(t).endsWith("tensor model.layers.1.self_attn.fc1.weight has shape [12, 48], expected [12, 32]"
                + " (R = 12 from layer 0's fc1; (n_h + 2*n_kv)*d = (4 + 2*2)*4 = 32, n_kv = 2)"));
    }

    @Test
    void inconsistentR() {
        var t = new java.util.LinkedHashMap<>(TensorNames.expectedRetainingHeads(TestModelFiles.smallLlama(), 12));
        t.put("model.layers.0.self_attn.fc2.weight", new long[] {2, 16});
        assertTrue(failure(t).contains("tensor model.layers.0.self_attn.fc2.weight has shape [2, 16], expected [2, 12]"));
    }

    @Test
    void extraBiasKey() {
        var t = new java.util.LinkedHashMap<>(TensorNames.expectedRetainingHeads(TestModelFiles.smallLlama(), 12));
        t.put("model.layers.0.self_attn.fc1.bias", new long[] {12});
        assertTrue(failure(t).contains("1 unexpected tensor(s) for retaining heads of a 2-layer model:"
                + " model.layers.0.self_attn.fc1.bias"));
    }

    @Test
    void noHeadsAtAll() {
        String msg = failure(Map.of("model.layers.0.self_attn.q_proj.weight", new long[] {4, 4}));
        assertTrue(msg.endsWith("missing tensor model.layers.0.self_attn.fc1.weight (retaining heads need fc1 and fc2"
                + " for each of the model's 2 layers)"), msg);
        String weights = failure(Map.of("model.embed_tokens.weight", new long[] {4, 4}));
        assertTrue(weights.endsWith("holds a model's weights (model.embed_tokens.weight), not retaining heads"
                + " (model.layers.{i}.self_attn.fc1.weight and fc2.weight)"), weights);
    }

    @Test
    void pytorchPickleIsRefusedWithTheConversionHint() throws Exception {
        Path bin = dir.resolve("retaining_heads.bin");
        java.nio.file.Files.writeString(bin, "not safetensors");
        String msg = assertThrows(WeightsFormatException.class,
                () -> RetainingHeads.load(bin, TestModelFiles.smallLlama())).getMessage();
        assertTrue(msg.contains("a PyTorch pickle; apbj reads retaining heads from safetensors"), msg);
    }
}
