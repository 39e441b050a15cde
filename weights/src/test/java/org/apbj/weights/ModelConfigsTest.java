package org.apbj.weights;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

/**
 * config.json parsing. The resources under configs/ are laid out as the published config.json
 * files of the four target models (test copies; values as published on the model pages).
 */
class ModelConfigsTest {
    private static String resource(String name) throws IOException {
        try (InputStream in = ModelConfigsTest.class.getResourceAsStream("/configs/" + name)) {
            assertNotNull(in, name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static ModelConfig parse(String json) {
        return ModelConfigs.parse(json, "config.json");
    }

    private static String failure(String json) {
        return assertThrows(WeightsFormatException.class, () -> parse(json)).getMessage();
    }

    @Test
    void llama31WithLlama3RopeScaling() throws IOException {
        ModelConfig c = parse(resource("llama-3.1-8b-instruct.json"));
        assertEquals(ModelConfig.Family.LLAMA, c.family());
        assertEquals(4096, c.hiddenSize());
        assertEquals(14336, c.intermediateSize());
        assertEquals(32, c.numLayers());
        assertEquals(32, c.numHeads());
        assertEquals(8, c.numKvHeads());
        assertEquals(128, c.headDim(), "hidden / heads when head_dim is absent");
        assertEquals(4, c.groupSize());
        assertEquals(1e-5f, c.rmsNormEps());
        assertEquals(500000.0, c.ropeTheta());
        assertEquals(new ModelConfig.RopeScaling(8.0, 1.0, 4.0, 8192), c.ropeScaling());
        assertEquals(128256, c.vocabSize());
        assertEquals(131072, c.maxPositionEmbeddings());
        assertFalse(c.tieWordEmbeddings());
        assertFalse(c.qkvBias());
        assertEquals(128000, c.bosTokenId());
        assertArrayEquals(new int[] {128001, 128008, 128009}, c.eosTokenIds());
        assertEquals((32 + 2 * 8) * 128, c.qkvDim());
    }

    @Test
    void qwen25HasQkvBiasesAndItsOwnDefaults() throws IOException {
        ModelConfig c = parse(resource("qwen-2.5-14b-instruct.json"));
        assertEquals(ModelConfig.Family.QWEN2, c.family());
        assertTrue(c.qkvBias());
        assertEquals(5120, c.hiddenSize());
        assertEquals(13824, c.intermediateSize());
        assertEquals(48, c.numLayers());
        assertEquals(40, c.numHeads());
        assertEquals(8, c.numKvHeads());
        assertEquals(128, c.headDim());
        assertEquals(1e-6f, c.rmsNormEps());
        assertEquals(1_000_000.0, c.ropeTheta());
        assertNull(c.ropeScaling());
        assertEquals(152064, c.vocabSize());
        assertEquals(151643, c.bosTokenId());
        assertArrayEquals(new int[] {151645}, c.eosTokenIds());
        assertTrue(TensorNames.expected(c).containsKey("model.layers.47.self_attn.k_proj.bias"));
        assertArrayEquals(new long[] {1024}, TensorNames.expected(c).get("model.layers.0.self_attn.v_proj.bias"));
    }

    @Test
    void yi200kIsALlamaWithIntegerRopeTheta() throws IOException {
        ModelConfig c = parse(resource("yi-34b-200k.json"));
        assertEquals(ModelConfig.Family.LLAMA, c.family());
        assertEquals(7168, c.hiddenSize());
        assertEquals(56, c.numHeads());
        assertEquals(8, c.numKvHeads());
        assertEquals(128, c.headDim());
        assertEquals(60, c.numLayers());
        assertEquals(1e7, c.ropeTheta());
        assertNull(c.ropeScaling());
        assertEquals(200000, c.maxPositionEmbeddings());
        assertEquals(64000, c.vocabSize());
        assertEquals(1, c.bosTokenId());
        assertArrayEquals(new int[] {2}, c.eosTokenIds());
    }

    @Test
    void gradient1048kHasAHugeRopeThetaAndNoScaling() throws IOException {
        ModelConfig c = parse(resource("llama-3-8b-instruct-gradient-1048k.json"));
        assertEquals(3580165449.0, c.ropeTheta());
        assertNull(c.ropeScaling());
        assertEquals(1048576, c.maxPositionEmbeddings());
        assertArrayEquals(new int[] {128001}, c.eosTokenIds());
    }

    @Test
    void ropeParametersLayoutOfNewerTransformers() throws IOException {
        ObjectNode o = (ObjectNode) new ObjectMapper().readTree(resource("llama-3.1-8b-instruct.json"));
        o.remove("rope_theta");
        o.remove("rope_scaling");
        ObjectNode p = o.putObject("rope_parameters");
        p.put("rope_theta", 500000.0).put("rope_type", "llama3").put("factor", 8.0).put("low_freq_factor", 1.0)
                .put("high_freq_factor", 4.0).put("original_max_position_embeddings", 8192);
        ModelConfig c = parse(o.toString());
        assertEquals(500000.0, c.ropeTheta());
        assertEquals(new ModelConfig.RopeScaling(8.0, 1.0, 4.0, 8192), c.ropeScaling());
        assertEquals(parse(resource("llama-3.1-8b-instruct.json")), c);
    }

    @Test
    void toJsonRoundTrips() throws IOException {
        for (String name : new String[] {"llama-3.1-8b-instruct.json", "qwen-2.5-14b-instruct.json", "yi-34b-200k.json"}) {
            ModelConfig c = parse(resource(name));
            assertEquals(c, parse(ModelConfigs.toJsonString(c)), name);
        }
    }

    @Test
    void unknownArchitectureListsTheSupportedOnes() {
        String msg = failure("{\"architectures\": [\"MistralForCausalLM\"], \"hidden_size\": 8}");
        assertEquals("config.json: unsupported architecture MistralForCausalLM; supported: LlamaForCausalLM,"
                + " Qwen2ForCausalLM", msg);
        assertTrue(failure("{\"architectures\": [\"YiForCausalLM\"]}").contains("uses LlamaForCausalLM"));
        assertTrue(failure("{\"hidden_size\": 8}").contains("missing \"architectures\" (expected one of LlamaForCausalLM,"
                + " Qwen2ForCausalLM)"));
    }

    private static final String SMALL = "{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 64,"
            + " \"intermediate_size\": 128, \"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"vocab_size\": 100";

    @Test
    void defaultsFollowTransformers() {
        ModelConfig c = parse(SMALL + "}");
        assertEquals(4, c.numKvHeads(), "num_key_value_heads defaults to num_attention_heads");
        assertEquals(16, c.headDim());
        assertEquals(10000.0, c.ropeTheta());
        assertEquals(1e-6f, c.rmsNormEps());
        assertEquals(2048, c.maxPositionEmbeddings());
        assertEquals(-1, c.bosTokenId());
        assertArrayEquals(new int[0], c.eosTokenIds());
        assertEquals(32, parse(SMALL + ", \"head_dim\": 32}").headDim(), "explicit head_dim wins");
        assertArrayEquals(new int[] {7}, parse(SMALL + ", \"eos_token_id\": 7}").eosTokenIds());
    }

    @Test
    void badFieldsAreNamed() {
        assertEquals("config.json: missing required field \"vocab_size\"",
                failure("{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 64, \"intermediate_size\": 128,"
                        + " \"num_hidden_layers\": 2, \"num_attention_heads\": 4}"));
        assertEquals("config.json: \"hidden_size\" must be a positive integer, found \"64\"",
                failure(SMALL.replace("\"hidden_size\": 64", "\"hidden_size\": \"64\"") + "}"));
        assertEquals("config.json: num_attention_heads 4 is not a multiple of num_key_value_heads 3",
                failure(SMALL + ", \"num_key_value_heads\": 3}"));
        assertEquals("config.json: rope_scaling type \"yarn\" is not supported; supported: default, llama3",
                failure(SMALL + ", \"rope_scaling\": {\"type\": \"yarn\", \"factor\": 4.0}}"));
        assertEquals("config.json: missing required field \"rope_scaling.low_freq_factor\"",
                failure(SMALL + ", \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0}}"));
        assertEquals("config.json: hidden_act \"gelu\" is not supported (only \"silu\")",
                failure(SMALL + ", \"hidden_act\": \"gelu\"}"));
        assertTrue(failure(SMALL + ", \"attention_bias\": true}").contains("attention_bias=true is not supported"));
        assertTrue(failure(SMALL + ",}").startsWith("config.json: not valid JSON"));
        assertEquals("config.json: eos_token_id[1] must be a non-negative integer, found \"x\"",
                failure(SMALL + ", \"eos_token_id\": [1, \"x\"]}"));
    }
}
