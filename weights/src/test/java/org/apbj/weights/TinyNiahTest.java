package org.apbj.weights;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** The embedded tiny-niah model loads, with the values of its config.json and its golden vectors. */
class TinyNiahTest {
    private final Path dir = TestModels.tinyNiah();

    @Test
    void configMatchesConfigJson() {
        ModelConfig c = ModelConfigs.load(dir);
        assertEquals(ModelConfig.Family.LLAMA, c.family());
        assertEquals(384, c.hiddenSize());
        assertEquals(768, c.intermediateSize());
        assertEquals(4, c.numLayers());
        assertEquals(6, c.numHeads());
        assertEquals(2, c.numKvHeads());
        assertEquals(64, c.headDim());
        assertEquals(2048, c.vocabSize());
        assertEquals(500000.0, c.ropeTheta());
        assertNull(c.ropeScaling(), "rope_type default means plain RoPE");
        assertEquals(1e-5f, c.rmsNormEps());
        assertFalse(c.tieWordEmbeddings());
        assertFalse(c.qkvBias());
        assertEquals(131072, c.maxPositionEmbeddings());
        assertEquals(0, c.bosTokenId());
        assertArrayEquals(new int[] {1}, c.eosTokenIds());
    }

    @Test
    void weightsLoadWithExpectedShapes() {
        try (ModelWeights w = ModelWeights.open(dir)) {
            assertArrayEquals(new long[] {2048, 384}, w.embedTokens().shape());
            assertArrayEquals(new long[] {2048, 384}, w.lmHead().shape());
            assertNotSame(w.embedTokens(), w.lmHead());
            assertArrayEquals(new long[] {384}, w.finalNorm().shape());
            assertEquals(4, w.layers().size());
            LayerWeights l = w.layer(3);
            assertArrayEquals(new long[] {384, 384}, l.qProj().shape());
            assertArrayEquals(new long[] {128, 384}, l.kProj().shape());
            assertArrayEquals(new long[] {128, 384}, l.vProj().shape());
            assertArrayEquals(new long[] {384, 384}, l.oProj().shape());
            assertArrayEquals(new long[] {768, 384}, l.gateProj().shape());
            assertArrayEquals(new long[] {768, 384}, l.upProj().shape());
            assertArrayEquals(new long[] {384, 768}, l.downProj().shape());
            assertFalse(l.hasQkvBias());
            assertEquals(DType.BF16, l.qProj().dtype());
            assertEquals(2L * 384 * 384, l.qProj().segment().byteSize());
        }
    }

    /** embeddings_first8 (float32, computed by PyTorch) must equal the bf16 rows of input_ids[0..8] exactly. */
    @Test
    void embeddingRowsMatchGoldenVectors() {
        try (ModelWeights w = ModelWeights.open(dir);
             SafetensorsFile golden = SafetensorsFile.open(dir.resolve("golden/dense_1024.safetensors"))) {
            int[] ids = golden.tensor("input_ids").toIntArray();
            assertEquals(1024, ids.length);
            Tensor expected = golden.tensor("embeddings_first8");
            assertEquals(DType.F32, expected.dtype());
            float[] row = new float[384];
            for (int t = 0; t < 8; t++) {
                w.embedTokens().readRow(ids[t], row);
                for (int c = 0; c < 384; c++) {
                    assertEquals(expected.getFloat(t, c), row[c], 0f, "token " + t + " col " + c);
                    assertEquals(row[c], w.embedTokens().getFloat((long) ids[t] * 384 + c));
                }
            }
        }
    }
}
