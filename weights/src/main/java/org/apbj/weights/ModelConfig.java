package org.apbj.weights;

import java.util.Arrays;
import java.util.Objects;

/**
 * A model's shape and constants, read from a Hugging Face config.json (see ModelConfigs).
 *
 * @param family          the architecture family (decides biases and chat format defaults)
 * @param qkvBias         q/k/v projections carry biases (Qwen2)
 * @param ropeScaling     Llama-3 style rope scaling, or null for plain RoPE
 * @param eosTokenIds     end-of-sequence ids (Llama-3.1 lists several); empty if none
 * @param bosTokenId      beginning-of-sequence id, or -1 if config.json has none
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
        eosTokenIds = eosTokenIds == null ? new int[0] : eosTokenIds.clone();
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads " + numHeads
                    + " is not a multiple of num_key_value_heads " + numKvHeads);
        }
    }

    public int qDim() { return numHeads * headDim; }
    public int kvDim() { return numKvHeads * headDim; }
    /** Query heads per KV head (GQA group size). */
    public int groupSize() { return numHeads / numKvHeads; }

    /** Width of the retaining heads' input: concat(q, k, v) = (n_h + 2·n_kv)·d. */
    public int qkvDim() { return qDim() + 2 * kvDim(); }

    /** A copy with {@code numLayers} replaced (synthetic models, tests). */
    public ModelConfig withNumLayers(int layers) {
        return new ModelConfig(family, hiddenSize, intermediateSize, layers, numHeads, numKvHeads, headDim,
                rmsNormEps, ropeTheta, ropeScaling, vocabSize, tieWordEmbeddings, maxPositionEmbeddings, qkvBias,
                bosTokenId, eosTokenIds);
    }

    /** A copy with {@code vocabSize} replaced (synthetic models sized to a tokenizer). */
    public ModelConfig withVocabSize(int vocab) {
        return new ModelConfig(family, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, headDim,
                rmsNormEps, ropeTheta, ropeScaling, vocab, tieWordEmbeddings, maxPositionEmbeddings, qkvBias,
                bosTokenId, eosTokenIds);
    }

    // equals/hashCode/toString compare eosTokenIds by content (a record would compare the reference).
    @Override
    public boolean equals(Object o) {
        return o instanceof ModelConfig c && family == c.family && hiddenSize == c.hiddenSize
                && intermediateSize == c.intermediateSize && numLayers == c.numLayers && numHeads == c.numHeads
                && numKvHeads == c.numKvHeads && headDim == c.headDim
                && Float.compare(rmsNormEps, c.rmsNormEps) == 0 && Double.compare(ropeTheta, c.ropeTheta) == 0
                && Objects.equals(ropeScaling, c.ropeScaling) && vocabSize == c.vocabSize
                && tieWordEmbeddings == c.tieWordEmbeddings && maxPositionEmbeddings == c.maxPositionEmbeddings
                && qkvBias == c.qkvBias && bosTokenId == c.bosTokenId && Arrays.equals(eosTokenIds, c.eosTokenIds);
    }

    @Override
    public int hashCode() {
        return Objects.hash(family, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, headDim,
                rmsNormEps, ropeTheta, ropeScaling, vocabSize, tieWordEmbeddings, maxPositionEmbeddings, qkvBias,
                bosTokenId, Arrays.hashCode(eosTokenIds));
    }

    @Override
    public String toString() {
        return "ModelConfig[family=" + family + ", hiddenSize=" + hiddenSize + ", intermediateSize=" + intermediateSize
                + ", numLayers=" + numLayers + ", numHeads=" + numHeads + ", numKvHeads=" + numKvHeads
                + ", headDim=" + headDim + ", rmsNormEps=" + rmsNormEps + ", ropeTheta=" + ropeTheta
                + ", ropeScaling=" + ropeScaling + ", vocabSize=" + vocabSize + ", tieWordEmbeddings="
                + tieWordEmbeddings + ", maxPositionEmbeddings=" + maxPositionEmbeddings + ", qkvBias=" + qkvBias
                + ", bosTokenId=" + bosTokenId + ", eosTokenIds=" + Arrays.toString(eosTokenIds) + "]";
    }
}
