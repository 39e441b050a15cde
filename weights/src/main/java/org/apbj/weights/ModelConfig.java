package org.apbj.weights;

import java.util.Objects;

/**
 * A model's shape and constants, read from a Hugging Face config.json (see ModelConfigs).
 *
 * @param family          the architecture family (decides biases and chat format defaults)
 * @param qkvBias         q/k/v projections carry biases (Qwen2)
 * @param ropeScaling     Llama-3 style rope scaling, or null for plain RoPE
 * @param eosTokenIds     end-of-sequence ids (Llama-3.1 lists several)
 */
public record ModelConfig(
        Family family,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        float rmsNormEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        int vocabSize,
        boolean tieWordEmbeddings,
        int maxPositionEmbeddings,
        boolean qkvBias,
        int bosTokenId,
        int[] eosTokenIds) {

    public enum Family { LLAMA, QWEN2 }

    /** rope_scaling of type "llama3". */
    public record RopeScaling(double factor, double lowFreqFactor, double highFreqFactor,
                              int originalMaxPositionEmbeddings) {}

    public ModelConfig {
        Objects.requireNonNull(family, "family");
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads " + numHeads
                    + " is not a multiple of num_key_value_heads " + numKvHeads);
        }
    }

    public int qDim() { return numHeads * headDim; }
    public int kvDim() { return numKvHeads * headDim; }
    /** Query heads per KV head (GQA group size). */
    public int groupSize() { return numHeads / numKvHeads; }
}
