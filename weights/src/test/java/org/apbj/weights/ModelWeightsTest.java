package org.apbj.weights;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** ModelWeights: what a model directory must hold for its architecture, single-file and sharded. */
class ModelWeightsTest {
    @TempDir
    Path dir;

    private String failure(Path modelDir) {
        return assertThrows(WeightsFormatException.class, () -> ModelWeights.open(modelDir).close()).getMessage();
    }

    @Test
    void llamaLoadsWithValuesAsWritten() {
        ModelConfig c = TestModelFiles.smallLlama();
        Map<String, long[]> tensors = TestModelFiles.expected(c);
        TestModelFiles.writeModel(dir, c, tensors);
        try (ModelWeights w = ModelWeights.open(dir)) {
            assertEquals(c, w.config());
            List<String> names = new ArrayList<>(tensors.keySet());
            for (int i = 0; i < names.size(); i++) {
                Tensor t = w.tensor(names.get(i));
                assertArrayEquals(TestModelFiles.values(t.numel(), i), t.toFloatArray(), 0f, t.name());
            }
            LayerWeights l = w.layer(1);
            assertSame(w.tensor("model.layers.1.mlp.down_proj.weight"), l.downProj());
            assertArrayEquals(new long[] {8, 16}, l.kProj().shape());
            assertArrayEquals(new long[] {16, 24}, l.downProj().shape());
            assertNull(l.qBias());
            assertSame(w.tensor("lm_head.weight"), w.lmHead());
        }
    }

    @Test
    void qwenLoadsWithBiases() {
        ModelConfig c = TestModelFiles.smallQwen();
        TestModelFiles.writeModel(dir, c, TestModelFiles.expected(c));
        try (ModelWeights w = ModelWeights.open(dir)) {
            assertTrue(w.layer(0).hasQkvBias());
            assertArrayEquals(new long[] {16}, w.layer(0).qBias().shape());
            assertArrayEquals(new long[] {8}, w.layer(1).vBias().shape());
        }
    }

    @Test
    void qwenWithoutBiasesIsRefused() {
        ModelConfig c = TestModelFiles.smallQwen();
        TestModelFiles.writeModel(dir, c, TestModelFiles.expected(TestModelFiles.smallLlama()));
        String msg = failure(dir);
        assertTrue(msg.contains("missing 6 tensor(s) expected for QWEN2, 2 layers, hidden 16, heads 4/2 x 4,"
                + " intermediate 24, vocab 40: model.layers.0.self_attn.q_proj.bias, model.layers.0.self_attn.k_proj.bias"), msg);
    }

    @Test
    void missingTensor() {
        ModelConfig c = TestModelFiles.smallLlama();
        Map<String, long[]> t = TestModelFiles.expected(c);
        t.remove("model.layers.1.self_attn.v_proj.weight");
        TestModelFiles.writeModel(dir, c, t);
        assertEquals(dir + ": missing 1 tensor(s) expected for LLAMA, 2 layers, hidden 16, heads 4/2 x 4,"
                + " intermediate 24, vocab 40: model.layers.1.self_attn.v_proj.weight", failure(dir));
    }

    @Test
    void unexpectedTensor() {
        ModelConfig c = TestModelFiles.smallLlama();
        Map<String, long[]> t = TestModelFiles.expected(c);
        t.put("model.layers.2.input_layernorm.weight", new long[] {16});
        TestModelFiles.writeModel(dir, c, t);
        assertEquals(dir + ": 1 unexpected tensor(s) for LLAMA, 2 layers, hidden 16, heads 4/2 x 4,"
                + " intermediate 24, vocab 40: model.layers.2.input_layernorm.weight", failure(dir));
    }

    @Test
    void lmHeadWithTiedEmbeddings() {
        ModelConfig untied = TestModelFiles.smallLlama();
        ModelConfig tied = new ModelConfig(untied.family(), 16, 24, 2, 4, 2, 4, 1e-5f, 10000.0, null, 40, true, 256,
                false, 0, new int[] {1});
        TestModelFiles.writeModel(dir, tied, TestModelFiles.expected(untied));
        assertTrue(failure(dir).endsWith("lm_head.weight (lm_head.weight is present but config.json sets"
                + " tie_word_embeddings=true)"));
        TestModelFiles.writeModel(dir, tied, TestModelFiles.expected(tied));
        try (ModelWeights w = ModelWeights.open(dir)) {
            assertSame(w.embedTokens(), w.lmHead());
        }
    }

    @Test
    void rotaryInvFreqOfOlderExportsIsIgnored() {
        ModelConfig c = TestModelFiles.smallLlama();
        Map<String, long[]> t = TestModelFiles.expected(c);
        t.put("model.layers.0.self_attn.rotary_emb.inv_freq", new long[] {2});
        TestModelFiles.writeModel(dir, c, t);
        assertDoesNotThrow(() -> ModelWeights.open(dir).close());
    }

    @Test
    void shapeMismatchWithConfig() {
        ModelConfig c = TestModelFiles.smallLlama();
        Map<String, long[]> t = TestModelFiles.expected(c);
        t.put("model.layers.0.self_attn.k_proj.weight", new long[] {16, 16});   // as if num_key_value_heads were 4
        TestModelFiles.writeModel(dir, c, t);
        assertEquals(dir + ": tensor model.layers.0.self_attn.k_proj.weight in model.safetensors has shape [16, 16],"
                + " expected [8, 16] for this config.json (LLAMA, 2 layers, hidden 16, heads 4/2 x 4, intermediate 24,"
                + " vocab 40): config.json and the weights disagree", failure(dir));
    }

    @Test
    void integerTensorIsNotAWeight() {
        ModelConfig c = TestModelFiles.smallLlama();
        TestModelFiles.writeConfig(dir, c);
        TestModelFiles.writeSafetensors(dir.resolve("model.safetensors"), TestModelFiles.expected(c), DType.I32);
        assertTrue(failure(dir).endsWith("tensor model.embed_tokens.weight in model.safetensors has dtype I32,"
                + " expected BF16, F16 or F32"));
    }

    @Test
    void directoryWithoutWeights() throws IOException {
        TestModelFiles.writeConfig(dir, TestModelFiles.smallLlama());
        assertEquals(dir + ": no model.safetensors or model.safetensors.index.json", failure(dir));
        Files.writeString(dir.resolve("pytorch_model.bin"), "pickle");
        assertTrue(failure(dir).contains("the directory has PyTorch .bin weights"));
    }

    @Test
    void missingConfig() {
        TestModelFiles.writeSafetensors(dir.resolve("model.safetensors"), TestModelFiles.expected(TestModelFiles.smallLlama()));
        assertTrue(failure(dir).startsWith(dir.resolve("config.json") + ": not found"));
    }

    // --- sharded checkpoints ---------------------------------------------------------------

    /** Splits the expected tensors over two shards (first half, second half) and writes the index. */
    private Map<String, String> writeSharded(ModelConfig c) throws IOException {
        TestModelFiles.writeConfig(dir, c);
        Map<String, long[]> all = TestModelFiles.expected(c);
        Map<String, long[]> a = new LinkedHashMap<>(), b = new LinkedHashMap<>();
        Map<String, String> weightMap = new LinkedHashMap<>();
        int i = 0;
        for (Map.Entry<String, long[]> e : all.entrySet()) {
            boolean first = i++ < all.size() / 2;
            (first ? a : b).put(e.getKey(), e.getValue());
            weightMap.put(e.getKey(), first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors");
        }
        TestModelFiles.writeSafetensors(dir.resolve("model-00001-of-00002.safetensors"), a);
        TestModelFiles.writeSafetensors(dir.resolve("model-00002-of-00002.safetensors"), b);
        writeIndex(weightMap);
        return weightMap;
    }

    private void writeIndex(Map<String, String> weightMap) throws IOException {
        StringBuilder sb = new StringBuilder("{\"metadata\": {\"total_size\": 0}, \"weight_map\": {");
        String sep = "";
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
            sb.append(sep).append('"').append(e.getKey()).append("\": \"").append(e.getValue()).append('"');
            sep = ", ";
        }
        Files.writeString(dir.resolve("model.safetensors.index.json"), sb.append("}}").toString());
    }

    @Test
    void shardedCheckpointLoads() throws IOException {
        ModelConfig c = TestModelFiles.smallQwen();
        writeSharded(c);
        try (ModelWeights w = ModelWeights.open(dir)) {
            assertEquals(2, w.checkpoint().files().size());
            assertEquals("model-00001-of-00002.safetensors", w.embedTokens().source());
            assertEquals("model-00002-of-00002.safetensors", w.lmHead().source());
            assertEquals(new ArrayList<>(TensorNames.expected(c).keySet()), new ArrayList<>(w.checkpoint().names()));
        }
    }

    @Test
    void indexReferencesAMissingShard() throws IOException {
        writeSharded(TestModelFiles.smallLlama());
        Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
        String msg = failure(dir);
        assertTrue(msg.startsWith(dir.resolve("model.safetensors.index.json") + ": shard model-00002-of-00002.safetensors"
                + " (holding model.layers.1.input_layernorm.weight and 10 more tensors) does not exist in " + dir), msg);
    }

    @Test
    void indexMapsATensorToTheWrongShard() throws IOException {
        Map<String, String> map = writeSharded(TestModelFiles.smallLlama());
        map.put("model.norm.weight", "model-00001-of-00002.safetensors");
        writeIndex(map);
        String msg = failure(dir);
        assertEquals(dir.resolve("model.safetensors.index.json") + ": maps tensor model.norm.weight to shard"
                + " model-00001-of-00002.safetensors, which has no such tensor", msg);
    }

    @Test
    void shardHoldsATensorTheIndexDoesNotList() throws IOException {
        Map<String, String> map = writeSharded(TestModelFiles.smallLlama());
        map.remove("lm_head.weight");
        writeIndex(map);
        assertEquals(dir.resolve("model-00002-of-00002.safetensors") + ": holds tensor lm_head.weight which"
                + " model.safetensors.index.json does not list", failure(dir));
    }

    @Test
    void indexShardOutsideTheDirectory() throws IOException {
        Map<String, String> map = writeSharded(TestModelFiles.smallLlama());
        map.put("model.norm.weight", "../elsewhere.safetensors");
        writeIndex(map);
        assertTrue(failure(dir).contains(": tensor model.norm.weight maps to \"../elsewhere.safetensors\", expected a shard"
                + " file name in the same directory"));
    }

    @Test
    void indexIsNotJson() throws IOException {
        writeSharded(TestModelFiles.smallLlama());
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"weight_map\": {\"a\": }");
        assertTrue(failure(dir).startsWith(dir.resolve("model.safetensors.index.json") + ": not valid JSON"));
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"metadata\": {}}");
        assertTrue(failure(dir).endsWith("missing \"weight_map\" object (tensor name -> shard file)"));
    }
}
