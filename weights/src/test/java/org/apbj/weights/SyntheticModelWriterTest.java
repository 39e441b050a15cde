package org.apbj.weights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** Synthetic models written by SyntheticModelWriter read back through ModelWeights and RetainingHeads. */
class SyntheticModelWriterTest {
    @TempDir
    Path tmp;

    @Test
    void tinyModelRoundTrips() throws IOException {
        List<long[]> progress = new ArrayList<>();
        SyntheticModelWriter.Result r = SyntheticModelWriter.write(SyntheticModelWriter.Shape.TINY, tmp.resolve("m"), 7,
                null, null, (written, total, file) -> progress.add(new long[] {written, total}));
        ModelConfig c = r.config();
        assertEquals(256, c.hiddenSize());
        assertEquals(4, c.numLayers());
        assertEquals(SyntheticTokenizer.vocabSize(), c.vocabSize());
        assertEquals(c, ModelConfigs.load(r.directory()));
        try (ModelWeights w = ModelWeights.open(r.directory());
             RetainingHeads h = RetainingHeads.load(r.retainingHeads(), w.config())) {
            assertEquals(256, h.hiddenSize());
            assertArrayEquals(new long[] {256, (4 + 2 * 2) * 64}, h.fc1(3).shape());
            assertArrayEquals(new long[] {SyntheticTokenizer.vocabSize(), 256}, w.embedTokens().shape());
            for (float v : w.layer(2).postAttentionNorm().toFloatArray()) assertEquals(1f, v);
            for (float v : w.finalNorm().toFloatArray()) assertEquals(1f, v);
            assertNormal(w.layer(1).gateProj());
            assertNormal(w.embedTokens());
            assertNormal(h.fc1(0));
        }
        // Progress is monotonic and ends at the bytes on disk.
        long onDisk = Files.size(r.directory().resolve("model.safetensors")) + Files.size(r.retainingHeads());
        assertEquals(onDisk, r.bytesWritten());
        long[] last = progress.getLast();
        assertEquals(onDisk, last[0]);
        assertEquals(onDisk, last[1]);
        for (int i = 1; i < progress.size(); i++) assertTrue(progress.get(i)[0] >= progress.get(i - 1)[0]);
    }

    /** Mean ≈ 0, standard deviation ≈ 0.02, bounded at 2√3·0.02 (plus bf16 rounding). */
    private static void assertNormal(Tensor t) {
        float[] v = t.toFloatArray();
        double sum = 0, sq = 0, max = 0;
        for (float x : v) {
            sum += x;
            sq += (double) x * x;
            max = Math.max(max, Math.abs(x));
        }
        double mean = sum / v.length, std = Math.sqrt(sq / v.length - mean * mean);
        assertEquals(0, mean, 4 * 0.02 / Math.sqrt(v.length) + 1e-5, t.name());
        assertEquals(0.02, std, 0.0005, t.name());
        assertTrue(max <= 2 * Math.sqrt(3) * 0.02 * 1.004, t.name() + " max " + max);
        // Not constant and not repeating a short pattern.
        assertTrue(new HashSet<>(List.of(boxed(v, 0, 64))).size() > 20, t.name());
    }

    private static Float[] boxed(float[] v, int from, int n) {
        Float[] out = new Float[n];
        for (int i = 0; i < n; i++) out[i] = v[from + i];
        return out;
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherBytes() throws IOException {
        Path a = tmp.resolve("a"), b = tmp.resolve("b"), c = tmp.resolve("c");
        SyntheticModelWriter.write(SyntheticModelWriter.Shape.TINY, a, 42, 2, null, ProgressListener.NONE);
        SyntheticModelWriter.write(SyntheticModelWriter.Shape.TINY, b, 42, 2, null, ProgressListener.NONE);
        SyntheticModelWriter.write(SyntheticModelWriter.Shape.TINY, c, 43, 2, null, ProgressListener.NONE);
        for (String f : List.of("model.safetensors", "retaining_heads.safetensors", "config.json", "tokenizer.json")) {
            assertEquals(-1, Files.mismatch(a.resolve(f), b.resolve(f)), f);
        }
        assertNotEquals(-1, Files.mismatch(a.resolve("model.safetensors"), c.resolve("model.safetensors")));
        try (ModelWeights wa = ModelWeights.open(a); ModelWeights wc = ModelWeights.open(c)) {
            assertNotEquals(wa.layer(0).qProj().getFloat(0), wc.layer(0).qProj().getFloat(0));
            // Different tensors of one model differ too (per-name seeds).
            assertNotEquals(wa.layer(0).qProj().getFloat(0), wa.layer(1).qProj().getFloat(0));
        }
    }

    @Test
    void shardedWriteHoldsTheSameTensorsAsASingleFile() throws IOException {
        Path single = tmp.resolve("single"), sharded = tmp.resolve("sharded");
        SyntheticModelWriter.write(SyntheticModelWriter.Shape.TINY, single, 5, null, null, ProgressListener.NONE);
        SyntheticModelWriter.Result r = SyntheticModelWriter.write(SyntheticModelWriter.Shape.TINY, sharded, 5, null,
                null, ProgressListener.NONE, 1 << 20);
        assertFalse(Files.exists(sharded.resolve("model.safetensors")));
        assertTrue(r.weightFiles().size() >= 4, "a 5 MB model in 1 MB shards");
        JsonNode index = new ObjectMapper().readTree(sharded.resolve("model.safetensors.index.json").toFile());
        long total = 0;
        try (ModelWeights a = ModelWeights.open(single); ModelWeights b = ModelWeights.open(sharded)) {
            assertEquals(r.weightFiles().size(), b.checkpoint().files().size());
            for (String name : a.checkpoint().names()) {
                Tensor ta = a.tensor(name), tb = b.tensor(name);
                assertEquals(-1, ta.segment().mismatch(tb.segment()), name);
                assertEquals(tb.source(), index.get("weight_map").get(name).asText());
                total += ta.byteSize();
            }
        }
        assertEquals(total, index.get("metadata").get("total_size").asLong());
        for (Path f : r.weightFiles()) {
            assertTrue(f.getFileName().toString().matches("model-0000\\d-of-0000" + r.weightFiles().size() + "\\.safetensors"));
            // One tensor alone may exceed the limit (the embeddings here are 139 KB: none does).
            assertTrue(Files.size(f) <= (1 << 20) + 4096, f + " " + Files.size(f));
        }
        // Writing again in the same directory as a single file removes the stale shards.
        SyntheticModelWriter.write(SyntheticModelWriter.Shape.TINY, sharded, 5, null, null, ProgressListener.NONE);
        try (var files = Files.list(sharded)) {
            assertEquals(Set.of("config.json", "model.safetensors", "retaining_heads.safetensors", "tokenizer.json",
                    "tokenizer_config.json"), files.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet()));
        }
    }

    @Test
    void copiedTokenizerSetsTinyVocabAndSpecialIds() throws IOException {
        Path source = TestModels.tinyNiah();
        SyntheticModelWriter.Result r = SyntheticModelWriter.write(SyntheticModelWriter.Shape.TINY, tmp.resolve("t"), 1, 1,
                source, ProgressListener.NONE);
        assertEquals(2048, r.config().vocabSize());
        assertEquals(0, r.config().bosTokenId());
        assertArrayEquals(new int[] {1}, r.config().eosTokenIds());
        assertEquals(-1, Files.mismatch(source.resolve("tokenizer.json"), r.directory().resolve("tokenizer.json")));
        try (ModelWeights w = ModelWeights.open(r.directory())) {
            assertEquals(2048, w.lmHead().dim(0));
        }
    }

    @Test
    void realLlama3TokenizerGivesItsVocabularyAndIds() {
        Path shared = TestModels.shared();
        Assumptions.assumeTrue(shared != null && Files.isDirectory(shared.resolve("tokenizers/llama3")),
                "no shared/tokenizers/llama3 (set -Dapbj.shared=DIR to run this test)");
        SyntheticModelWriter.Result r = SyntheticModelWriter.write(SyntheticModelWriter.Shape.TINY, tmp.resolve("l"), 1, 1,
                shared.resolve("tokenizers/llama3"), ProgressListener.NONE);
        assertEquals(128256, r.config().vocabSize());
        assertEquals(128000, r.config().bosTokenId(), "<|begin_of_text|>");
        assertArrayEquals(new int[] {128009}, r.config().eosTokenIds(), "<|eot_id|> of the 3.0-style tokenizer_config.json");
        try (ModelWeights w = ModelWeights.open(r.directory())) {
            assertEquals(128256, w.embedTokens().dim(0));
        }
    }

    @Test
    void tokenizerLargerThanTheVocabularyIsRefused() {
        ModelConfig small = TestModelFiles.smallLlama();   // vocab 40 < 278 tokens of the built-in tokenizer
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SyntheticModelWriter.write(
                small, 8, tmp.resolve("x"), 0, null, ProgressListener.NONE, SyntheticModelWriter.DEFAULT_MAX_SHARD_BYTES));
        assertEquals("the tokenizer has 278 tokens, more than the model's vocabulary of 40", e.getMessage());
    }

    @Test
    void qwenShapedConfigWritesBiases() {
        ModelConfig c = TestModelFiles.smallQwen().withVocabSize(300);
        SyntheticModelWriter.Result r = SyntheticModelWriter.write(c, 16, tmp.resolve("q"), 3, null,
                ProgressListener.NONE, SyntheticModelWriter.DEFAULT_MAX_SHARD_BYTES);
        try (ModelWeights w = ModelWeights.open(r.directory());
             RetainingHeads h = RetainingHeads.load(r.retainingHeads(), w.config())) {
            assertEquals(ModelConfig.Family.QWEN2, w.config().family());
            assertArrayEquals(new long[] {16}, w.layer(1).qBias().shape());
            assertEquals(16, h.hiddenSize());
        }
    }

    @Test
    void builtInTokenizerIsAConsistentByteLevelBpe() throws IOException {
        SyntheticModelWriter.write(SyntheticModelWriter.Shape.TINY, tmp.resolve("m"), 0, 1, null, ProgressListener.NONE);
        JsonNode tok = new ObjectMapper().readTree(tmp.resolve("m/tokenizer.json").toFile());
        JsonNode vocab = tok.get("model").get("vocab");
        assertEquals(SyntheticTokenizer.vocabSize(), vocab.size());
        Set<Integer> ids = new HashSet<>();
        for (Iterator<JsonNode> it = vocab.elements(); it.hasNext(); ) ids.add(it.next().asInt());
        assertEquals(SyntheticTokenizer.vocabSize(), ids.size(), "ids are distinct");
        for (int i = 0; i < SyntheticTokenizer.vocabSize(); i++) assertTrue(ids.contains(i), "id " + i);
        for (int i = 0; i < 5; i++) {
            JsonNode added = tok.get("added_tokens").get(i);
            assertEquals(i, vocab.get(added.get("content").asText()).asInt());
            assertTrue(added.get("special").asBoolean());
        }
        // Every byte has a token, through GPT-2's byte-to-unicode table (256 distinct one-char strings).
        Set<String> byteTokens = new HashSet<>(List.of(SyntheticTokenizer.byteToUnicode()));
        assertEquals(256, byteTokens.size());
        for (String b : byteTokens) assertTrue(vocab.has(b), b);
        assertEquals("Ġ", SyntheticTokenizer.byteToUnicode()[' ']);
        assertEquals("Ċ", SyntheticTokenizer.byteToUnicode()['\n']);
        // Each merge joins two existing tokens into a later one.
        for (JsonNode m : tok.get("model").get("merges")) {
            String l = m.get(0).asText(), r = m.get(1).asText();
            assertTrue(vocab.get(l + r).asInt() > Math.max(vocab.get(l).asInt(), vocab.get(r).asInt()), l + r);
        }
        JsonNode cfg = new ObjectMapper().readTree(tmp.resolve("m/tokenizer_config.json").toFile());
        assertEquals("<|bos|>", cfg.get("bos_token").asText());
        assertEquals("<|eot|>", cfg.get("eos_token").asText());
    }

    @Test
    void unknownShapeListsTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SyntheticModelWriter.Shape.fromId("llama-70b"));
        assertEquals("unknown model shape 'llama-70b'; known: llama-3.1-8b, qwen-2.5-14b, tiny", e.getMessage());
    }

    /**
     * The real 8B shape with 2 layers (real vocabulary: 2 x 1.05 GB of embeddings and LM head,
     * 3.0 GB in all) writes in well under a minute and loads with the right shapes.
     */
    @Test
    void llama8bShapeWithTwoLayers() throws IOException {
        Path out = tmp.resolve("llama8b");
        long t0 = System.nanoTime();
        SyntheticModelWriter.Result r = SyntheticModelWriter.write(SyntheticModelWriter.Shape.LLAMA_3_1_8B, out, 1, 2,
                null, ProgressListener.NONE);
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("llama-3.1-8b --layers 2: %.2f GB in %.1f s, %.0f MB/s%n", r.bytesWritten() / 1e9, seconds,
                r.megabytesPerSecond());
        assertTrue(seconds < 60, "took " + seconds + " s");
        try (ModelWeights w = ModelWeights.open(out);
             RetainingHeads h = RetainingHeads.load(r.retainingHeads(), w.config())) {
            ModelConfig c = w.config();
            assertEquals(new ModelConfig.RopeScaling(8.0, 1.0, 4.0, 8192), c.ropeScaling());
            assertEquals(500000.0, c.ropeTheta());
            assertEquals(2, c.numLayers());
            assertArrayEquals(new long[] {128256, 4096}, w.embedTokens().shape());
            assertArrayEquals(new long[] {128256, 4096}, w.lmHead().shape());
            assertArrayEquals(new long[] {4096, 4096}, w.layer(1).qProj().shape());
            assertArrayEquals(new long[] {1024, 4096}, w.layer(1).kProj().shape());
            assertArrayEquals(new long[] {14336, 4096}, w.layer(1).gateProj().shape());
            assertArrayEquals(new long[] {4096, 14336}, w.layer(1).downProj().shape());
            assertArrayEquals(new long[] {1024, 6144}, h.fc1(1).shape());
            assertArrayEquals(new long[] {8, 1024}, h.fc2(1).shape());
            // The last row of the LM head (past 2 GB into the file) reads as random data.
            float[] row = w.lmHead().row(128255);
            double sq = 0;
            for (float v : row) sq += v * v;
            assertEquals(0.02, Math.sqrt(sq / row.length), 0.002);
        } finally {
            for (String f : List.of("model.safetensors", "retaining_heads.safetensors")) Files.deleteIfExists(out.resolve(f));
        }
    }
}
