package org.apbj.weights;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

/**
 * A Hugging Face model directory opened for inference: its {@link ModelConfig} and its weights,
 * memory-mapped and checked against the architecture (every expected tensor present with its
 * expected shape and a float dtype; nothing unexpected). Valid until {@link #close()}.
 */
public final class ModelWeights implements AutoCloseable {
    private final ModelConfig config;
    private final SafetensorsCheckpoint checkpoint;
    private final List<LayerWeights> layers;

    private ModelWeights(ModelConfig config, SafetensorsCheckpoint checkpoint) {
        this.config = config;
        this.checkpoint = checkpoint;
        List<LayerWeights> ls = new ArrayList<>(config.numLayers());
        for (int i = 0; i < config.numLayers(); i++) ls.add(layerOf(i));
        this.layers = List.copyOf(ls);
    }

    /** Reads {@code dir/config.json} and opens and validates the weights beside it. */
    public static ModelWeights open(Path dir) {
        return open(dir, ModelConfigs.load(dir));
    }

    /** Opens and validates the weights of {@code dir} against {@code config}. */
    public static ModelWeights open(Path dir, ModelConfig config) {
        SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir);
        try {
            validate(checkpoint, config);
            return new ModelWeights(config, checkpoint);
        } catch (RuntimeException e) {
            checkpoint.close();
            throw e;
        }
    }

    static void validate(SafetensorsCheckpoint checkpoint, ModelConfig config) {
        SequencedMap<String, long[]> expected = TensorNames.expected(config);
        String where = checkpoint.directory().toString();
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            if (!checkpoint.contains(e.getKey())) {
                missing.add(e.getKey());
                continue;
            }
            Tensor t = checkpoint.tensor(e.getKey());
            if (!t.hasShape(e.getValue())) {
                throw new WeightsFormatException(where + ": tensor " + t.name() + " in " + t.source() + " has shape "
                        + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(e.getValue())
                        + " for this config.json (" + describe(config) + "): config.json and the weights disagree");
            }
            if (!t.dtype().isFloating()) {
                throw new WeightsFormatException(where + ": tensor " + t.name() + " in " + t.source() + " has dtype "
                        + t.dtype() + ", expected BF16, F16 or F32");
            }
        }
        if (!missing.isEmpty()) {
            throw new WeightsFormatException(where + ": missing " + missing.size() + " tensor(s) expected for "
                    + describe(config) + ": " + abbreviate(missing));
        }
        List<String> unexpected = new ArrayList<>();
        for (String name : checkpoint.names()) {
            if (!expected.containsKey(name) && !TensorNames.isIgnorable(name)) unexpected.add(name);
        }
        if (!unexpected.isEmpty()) {
            String hint = unexpected.contains(TensorNames.LM_HEAD) && config.tieWordEmbeddings()
                    ? " (lm_head.weight is present but config.json sets tie_word_embeddings=true)"
                    : unexpected.stream().anyMatch(n -> n.endsWith(TensorNames.RETAINING_FC1))
                    ? " (retaining heads belong in their own file: load them with RetainingHeads.load)" : "";
            throw new WeightsFormatException(where + ": " + unexpected.size() + " unexpected tensor(s) for "
                    + describe(config) + ": " + abbreviate(unexpected) + hint);
        }
    }

    private static String describe(ModelConfig c) {
        return c.family() + ", " + c.numLayers() + " layers, hidden " + c.hiddenSize() + ", heads " + c.numHeads()
                + "/" + c.numKvHeads() + " x " + c.headDim() + ", intermediate " + c.intermediateSize() + ", vocab "
                + c.vocabSize() + (c.tieWordEmbeddings() ? ", tied embeddings" : "");
    }

    private static String abbreviate(List<String> names) {
        int show = Math.min(names.size(), 8);
        return String.join(", ", names.subList(0, show)) + (names.size() > show ? ", ... (" + (names.size() - show)
                + " more)" : "");
    }

    private LayerWeights layerOf(int i) {
        boolean bias = config.qkvBias();
        return new LayerWeights(i,
                t(i, TensorNames.INPUT_NORM),
                t(i, TensorNames.Q_PROJ), t(i, TensorNames.K_PROJ), t(i, TensorNames.V_PROJ),
                bias ? t(i, TensorNames.Q_BIAS) : null,
                bias ? t(i, TensorNames.K_BIAS) : null,
                bias ? t(i, TensorNames.V_BIAS) : null,
                t(i, TensorNames.O_PROJ),
                t(i, TensorNames.POST_ATTENTION_NORM),
                t(i, TensorNames.GATE_PROJ), t(i, TensorNames.UP_PROJ), t(i, TensorNames.DOWN_PROJ));
    }

    private Tensor t(int layer, String suffix) {
        return checkpoint.tensor(TensorNames.layer(layer, suffix));
    }

    public ModelConfig config() { return config; }

    public Path directory() { return checkpoint.directory(); }

    /** Any tensor of the checkpoint by its Hugging Face name. */
    public Tensor tensor(String name) { return checkpoint.tensor(name); }

    /** [vocab, hidden]. */
    public Tensor embedTokens() { return checkpoint.tensor(TensorNames.EMBED_TOKENS); }

    /** [vocab, hidden]: lm_head.weight, or the embeddings when they are tied. */
    public Tensor lmHead() {
        return config.tieWordEmbeddings() ? embedTokens() : checkpoint.tensor(TensorNames.LM_HEAD);
    }

    /** [hidden]: the final RMSNorm weight. */
    public Tensor finalNorm() { return checkpoint.tensor(TensorNames.FINAL_NORM); }

    public LayerWeights layer(int i) { return layers.get(i); }

    public List<LayerWeights> layers() { return layers; }

    /** The underlying files (for bulk copies to a device). */
    public SafetensorsCheckpoint checkpoint() { return checkpoint; }

    @Override
    public void close() { checkpoint.close(); }
}
