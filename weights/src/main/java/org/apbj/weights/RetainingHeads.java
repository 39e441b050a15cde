package org.apbj.weights;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

/**
 * APB's retaining heads (Locret): per layer i, {@code model.layers.{i}.self_attn.fc1.weight}
 * [R, (n_h + 2·n_kv)·d] and {@code fc2.weight} [n_kv, R], no biases; score =
 * fc2 · silu(fc1 · concat(q, k, v)). R is read from the file (1024 in the paper's checkpoints).
 *
 * <p>Loading is all or nothing: a missing layer, an extra key or a shape that does not fit the
 * model is an error (the reference code loads with strict=False and silently keeps random heads).
 */
public final class RetainingHeads implements AutoCloseable {
    private final SafetensorsFile file;
    private final ModelConfig config;
    private final int hiddenSize;

    private RetainingHeads(SafetensorsFile file, ModelConfig config, int hiddenSize) {
        this.file = file;
        this.config = config;
        this.hiddenSize = hiddenSize;
    }

    /** Maps and validates a retaining-heads safetensors file for the model {@code config}. */
    public static RetainingHeads load(Path path, ModelConfig config) {
        if (!Files.isRegularFile(path)) {
            throw new WeightsFormatException(path + ": retaining-heads file not found"
                    + (path.toString().endsWith(".bin") ? "" : " (convert a published .bin checkpoint to safetensors"
                    + " first: see the weights module's README)"));
        }
        if (path.toString().endsWith(".bin") || path.toString().endsWith(".pt")) {
            throw new WeightsFormatException(path + ": a PyTorch pickle; apbj reads retaining heads from safetensors:"
                    + " convert it first (see the weights module's README)");
        }
        SafetensorsFile file = SafetensorsFile.open(path);
        try {
            int r = validate(file, config);
            return new RetainingHeads(file, config, r);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    private static int validate(SafetensorsFile file, ModelConfig config) {
        String where = file.path().toString();
        for (String modelTensor : List.of(TensorNames.EMBED_TOKENS, TensorNames.LM_HEAD)) {
            if (file.contains(modelTensor)) {
                throw new WeightsFormatException(where + ": holds a model's weights (" + modelTensor + "), not retaining heads"
                        + " (model.layers.{i}.self_attn.fc1.weight and fc2.weight)");
            }
        }
        String fc1First = TensorNames.layer(0, TensorNames.RETAINING_FC1);
        if (!file.contains(fc1First)) {
            throw new WeightsFormatException(where + ": missing tensor " + fc1First + " (retaining heads need fc1 and fc2"
                    + " for each of the model's " + config.numLayers() + " layers)");
        }
        Tensor first = file.tensor(fc1First);
        if (first.rank() != 2) {
            throw new WeightsFormatException(where + ": tensor " + fc1First + " has shape "
                    + Arrays.toString(first.shape()) + ", expected [R, " + config.qkvDim() + "]");
        }
        int r = first.dim(0);
        SequencedMap<String, long[]> expected = TensorNames.expectedRetainingHeads(config, r);
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            if (!file.contains(e.getKey())) {
                missing.add(e.getKey());
                continue;
            }
            Tensor t = file.tensor(e.getKey());
            if (!t.hasShape(e.getValue())) {
                throw new WeightsFormatException(where + ": tensor " + t.name() + " has shape "
                        + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(e.getValue())
                        + " (R = " + r + " from layer 0's fc1; (n_h + 2*n_kv)*d = (" + config.numHeads() + " + 2*"
                        + config.numKvHeads() + ")*" + config.headDim() + " = " + config.qkvDim() + ", n_kv = "
                        + config.numKvHeads() + ")");
            }
            if (!t.dtype().isFloating()) {
                throw new WeightsFormatException(where + ": tensor " + t.name() + " has dtype " + t.dtype()
                        + ", expected BF16, F16 or F32");
            }
        }
        if (!missing.isEmpty()) {
            throw new WeightsFormatException(where + ": missing " + missing.size() + " tensor(s) for a model of "
                    + config.numLayers() + " layers: " + String.join(", ", missing.subList(0, Math.min(8, missing.size())))
                    + (missing.size() > 8 ? ", ..." : ""));
        }
        List<String> extra = file.names().stream().filter(n -> !expected.containsKey(n)).toList();
        if (!extra.isEmpty()) {
            throw new WeightsFormatException(where + ": " + extra.size() + " unexpected tensor(s) for retaining heads of a "
                    + config.numLayers() + "-layer model: " + String.join(", ", extra.subList(0, Math.min(8, extra.size())))
                    + (extra.size() > 8 ? ", ..." : "")
                    + " (expected only model.layers.{i}.self_attn.fc1.weight and fc2.weight, i < " + config.numLayers() + ")");
        }
        return r;
    }

    /** R, the heads' hidden width. */
    public int hiddenSize() { return hiddenSize; }

    public ModelConfig config() { return config; }

    /** [R, (n_h + 2·n_kv)·d] of layer i. */
    public Tensor fc1(int layer) {
        return file.tensor(TensorNames.layer(checkLayer(layer), TensorNames.RETAINING_FC1));
    }

    /** [n_kv, R] of layer i. */
    public Tensor fc2(int layer) {
        return file.tensor(TensorNames.layer(checkLayer(layer), TensorNames.RETAINING_FC2));
    }

    private int checkLayer(int layer) {
        return java.util.Objects.checkIndex(layer, config.numLayers());
    }

    public Path path() { return file.path(); }

    @Override
    public void close() { file.close(); }
}
