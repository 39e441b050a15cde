package org.apbj.weights;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Reads a Hugging Face {@code config.json} into a {@link ModelConfig}, and writes one back.
 *
 * <p>Supported architectures: {@code LlamaForCausalLM} (Llama 3 / 3.1, Yi, Gradient's long-context
 * Llama-3) and {@code Qwen2ForCausalLM} (Qwen 2.5, q/k/v biases). RoPE parameters are read from the
 * classic top-level {@code rope_theta} + {@code rope_scaling} or from the newer
 * {@code rope_parameters} object (transformers 5); scaling types other than {@code llama3} and
 * {@code default} are refused. Missing optional fields take transformers' defaults for the family.
 */
public final class ModelConfigs {
    private ModelConfigs() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Architecture names accepted in config.json's "architectures", and their family. */
    public static final Map<String, ModelConfig.Family> SUPPORTED_ARCHITECTURES = Map.of(
            "LlamaForCausalLM", ModelConfig.Family.LLAMA,
            "Qwen2ForCausalLM", ModelConfig.Family.QWEN2);

    /** Reads {@code config.json} from a model directory, or the given file if it is one. */
    public static ModelConfig load(Path modelDirOrConfig) {
        Path file = Files.isDirectory(modelDirOrConfig) ? modelDirOrConfig.resolve("config.json") : modelDirOrConfig;
        if (!Files.isRegularFile(file)) {
            throw new WeightsFormatException(file + ": not found; a Hugging Face model directory has a config.json"
                    + " beside its *.safetensors files");
        }
        try {
            return parse(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Parses config.json text; {@code source} names it in error messages. */
    public static ModelConfig parse(String json, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new WeightsFormatException(source + ": not valid JSON: " + e.getOriginalMessage()
                    + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")", e);
        }
        if (root == null || !root.isObject()) {
            throw new WeightsFormatException(source + ": not a JSON object");
        }
        return new Reader(root, source).read();
    }

    private record Reader(JsonNode root, String source) {
        ModelConfig read() {
            ModelConfig.Family family = family();
            boolean qwen = family == ModelConfig.Family.QWEN2;
            String act = string("hidden_act", "silu");
            if (!act.equals("silu")) {
                throw error("hidden_act \"" + act + "\" is not supported (only \"silu\")");
            }
            if (bool("mlp_bias", false)) {
                throw error("mlp_bias=true is not supported (Llama-3, Qwen-2.5 and Yi have no MLP biases)");
            }
            if (!qwen && bool("attention_bias", false)) {
                throw error("attention_bias=true is not supported for LlamaForCausalLM (it adds an o_proj bias)");
            }
            if (qwen && bool("use_sliding_window", false)) {
                throw error("use_sliding_window=true is not supported (apbj attends over the full context)");
            }
            int hidden = positiveInt("hidden_size", null);
            int heads = positiveInt("num_attention_heads", null);
            int kvHeads = positiveInt("num_key_value_heads", heads);
            if (heads % kvHeads != 0) {
                throw error("num_attention_heads " + heads + " is not a multiple of num_key_value_heads " + kvHeads);
            }
            int headDim = root.hasNonNull("head_dim") ? positiveInt("head_dim", null) : defaultHeadDim(hidden, heads);
            Rope rope = rope();
            int[] eos = eosIds();
            int bos = root.hasNonNull("bos_token_id") ? nonNegativeInt("bos_token_id") : -1;
            return new ModelConfig(
                    family,
                    hidden,
                    positiveInt("intermediate_size", null),
                    positiveInt("num_hidden_layers", null),
                    heads,
                    kvHeads,
                    headDim,
                    (float) positiveDouble("rms_norm_eps", 1e-6),
                    rope.theta(),
                    rope.scaling(),
                    positiveInt("vocab_size", null),
                    bool("tie_word_embeddings", false),
                    positiveInt("max_position_embeddings", qwen ? 32768 : 2048),
                    qwen,
                    bos,
                    eos);
        }

        private int defaultHeadDim(int hidden, int heads) {
            if (hidden % heads != 0) {
                throw error("no head_dim and hidden_size " + hidden + " is not a multiple of num_attention_heads "
                        + heads + "; add \"head_dim\"");
            }
            return hidden / heads;
        }

        private ModelConfig.Family family() {
            JsonNode archs = root.get("architectures");
            if (archs == null || !archs.isArray() || archs.isEmpty() || !archs.get(0).isTextual()) {
                throw error("missing \"architectures\" (expected one of " + supported() + ")");
            }
            if (archs.size() > 1) {
                throw error("\"architectures\" lists " + archs.size() + " entries " + archs
                        + "; expected exactly one of " + supported());
            }
            String arch = archs.get(0).asText();
            ModelConfig.Family family = SUPPORTED_ARCHITECTURES.get(arch);
            if (family == null) {
                throw error("unsupported architecture " + arch + "; supported: " + supported()
                        + (arch.equals("YiForCausalLM") ? " (Yi's current Hugging Face revision uses LlamaForCausalLM:"
                        + " download that revision)" : ""));
            }
            return family;
        }

        private static String supported() {
            return String.join(", ", new java.util.TreeSet<>(SUPPORTED_ARCHITECTURES.keySet()));
        }

        private record Rope(double theta, ModelConfig.RopeScaling scaling) {}

        /**
         * Classic layout: rope_theta (default 10000) + rope_scaling {rope_type|type, ...} or null.
         * transformers 5 layout: rope_parameters {rope_theta, rope_type, ...} holding both.
         */
        private Rope rope() {
            JsonNode params = root.get("rope_parameters");
            JsonNode scaling = root.get("rope_scaling");
            double theta;
            JsonNode scalingNode;
            String scalingField;
            if (params != null && !params.isNull()) {
                if (!params.isObject()) throw error("rope_parameters must be an object, found " + params.getNodeType());
                if (scaling != null && !scaling.isNull()) {
                    throw error("both rope_parameters and rope_scaling are set; expected only one");
                }
                theta = params.hasNonNull("rope_theta") ? positiveDouble(params, "rope_parameters.rope_theta")
                        : positiveDouble("rope_theta", 10000.0);
                scalingNode = params;
                scalingField = "rope_parameters";
            } else {
                theta = positiveDouble("rope_theta", 10000.0);
                scalingNode = scaling;
                scalingField = "rope_scaling";
            }
            if (scalingNode == null || scalingNode.isNull()) return new Rope(theta, null);
            if (!scalingNode.isObject()) {
                throw error(scalingField + " must be an object or null, found " + scalingNode.getNodeType());
            }
            JsonNode typeNode = scalingNode.hasNonNull("rope_type") ? scalingNode.get("rope_type") : scalingNode.get("type");
            String type = typeNode == null ? "default" : typeNode.asText();
            return switch (type) {
                case "default" -> new Rope(theta, null);
                case "llama3" -> new Rope(theta, new ModelConfig.RopeScaling(
                        positiveDouble(scalingNode, scalingField + ".factor"),
                        positiveDouble(scalingNode, scalingField + ".low_freq_factor"),
                        positiveDouble(scalingNode, scalingField + ".high_freq_factor"),
                        (int) positiveDouble(scalingNode, scalingField + ".original_max_position_embeddings")));
                default -> throw error(scalingField + " type \"" + type
                        + "\" is not supported; supported: default, llama3");
            };
        }

        private int[] eosIds() {
            JsonNode eos = root.get("eos_token_id");
            if (eos == null || eos.isNull()) return new int[0];
            if (eos.isIntegralNumber()) return new int[] {nonNegativeInt("eos_token_id")};
            if (!eos.isArray()) throw error("eos_token_id must be an integer or a list of integers, found " + eos);
            int[] ids = new int[eos.size()];
            for (int i = 0; i < ids.length; i++) {
                JsonNode v = eos.get(i);
                if (!v.isIntegralNumber() || v.asLong() < 0 || v.asLong() > Integer.MAX_VALUE) {
                    throw error("eos_token_id[" + i + "] must be a non-negative integer, found " + v);
                }
                ids[i] = v.asInt();
            }
            return ids;
        }

        private int positiveInt(String field, Integer defaultValue) {
            JsonNode v = root.get(field);
            if (v == null || v.isNull()) {
                if (defaultValue == null) throw error("missing required field \"" + field + "\"");
                return defaultValue;
            }
            if (!v.isIntegralNumber() || v.asLong() <= 0 || v.asLong() > Integer.MAX_VALUE) {
                throw error("\"" + field + "\" must be a positive integer, found " + v);
            }
            return v.asInt();
        }

        private int nonNegativeInt(String field) {
            JsonNode v = root.get(field);
            if (!v.isIntegralNumber() || v.asLong() < 0 || v.asLong() > Integer.MAX_VALUE) {
                throw error("\"" + field + "\" must be a non-negative integer, found " + v);
            }
            return v.asInt();
        }

        private double positiveDouble(String field, double defaultValue) {
            JsonNode v = root.get(field);
            if (v == null || v.isNull()) return defaultValue;
            return positiveDouble(root, field);
        }

        private double positiveDouble(JsonNode node, String path) {
            String field = path.substring(path.lastIndexOf('.') + 1);
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) throw error("missing required field \"" + path + "\"");
            if (!v.isNumber() || !(v.asDouble() > 0) || Double.isInfinite(v.asDouble())) {
                throw error("\"" + path + "\" must be a positive number, found " + v);
            }
            return v.asDouble();
        }

        private boolean bool(String field, boolean defaultValue) {
            JsonNode v = root.get(field);
            if (v == null || v.isNull()) return defaultValue;
            if (!v.isBoolean()) throw error("\"" + field + "\" must be true or false, found " + v);
            return v.asBoolean();
        }

        private String string(String field, String defaultValue) {
            JsonNode v = root.get(field);
            if (v == null || v.isNull()) return defaultValue;
            if (!v.isTextual()) throw error("\"" + field + "\" must be a string, found " + v);
            return v.asText();
        }

        private WeightsFormatException error(String message) {
            return new WeightsFormatException(source + ": " + message);
        }
    }

    /**
     * The config.json a Hugging Face model of this shape would carry (classic layout:
     * top-level rope_theta and rope_scaling, as in Llama-3.1's and Qwen-2.5's own files).
     */
    public static ObjectNode toJson(ModelConfig c) {
        ObjectNode o = JSON.createObjectNode();
        boolean qwen = c.family() == ModelConfig.Family.QWEN2;
        o.putArray("architectures").add(qwen ? "Qwen2ForCausalLM" : "LlamaForCausalLM");
        o.put("model_type", qwen ? "qwen2" : "llama");
        if (!qwen) {
            o.put("attention_bias", false);
            o.put("mlp_bias", false);
        }
        o.put("attention_dropout", 0.0);
        if (c.bosTokenId() >= 0) o.put("bos_token_id", c.bosTokenId());
        int[] eos = c.eosTokenIds();
        if (eos.length == 1) {
            o.put("eos_token_id", eos[0]);
        } else if (eos.length > 1) {
            ArrayNode a = o.putArray("eos_token_id");
            for (int id : eos) a.add(id);
        }
        o.put("head_dim", c.headDim());
        o.put("hidden_act", "silu");
        o.put("hidden_size", c.hiddenSize());
        o.put("initializer_range", 0.02);
        o.put("intermediate_size", c.intermediateSize());
        o.put("max_position_embeddings", c.maxPositionEmbeddings());
        o.put("num_attention_heads", c.numHeads());
        o.put("num_hidden_layers", c.numLayers());
        o.put("num_key_value_heads", c.numKvHeads());
        o.put("rms_norm_eps", c.rmsNormEps());
        o.put("rope_theta", c.ropeTheta());
        ModelConfig.RopeScaling s = c.ropeScaling();
        if (s == null) {
            o.putNull("rope_scaling");
        } else {
            ObjectNode r = o.putObject("rope_scaling");
            r.put("factor", s.factor());
            r.put("high_freq_factor", s.highFreqFactor());
            r.put("low_freq_factor", s.lowFreqFactor());
            r.put("original_max_position_embeddings", s.originalMaxPositionEmbeddings());
            r.put("rope_type", "llama3");
        }
        if (qwen) o.put("use_sliding_window", false);
        o.put("tie_word_embeddings", c.tieWordEmbeddings());
        o.put("torch_dtype", "bfloat16");
        o.put("use_cache", true);
        o.put("vocab_size", c.vocabSize());
        return o;
    }

    /** {@link #toJson} as pretty-printed text. */
    public static String toJsonString(ModelConfig c) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson(c)) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
