package org.apbj.weights;

/**
 * One decoder layer's tensors. Linear weights are [out, in] (Hugging Face layout: y = x·Wᵀ).
 * The q/k/v biases are null unless the model has them (Qwen2).
 */
public record LayerWeights(
        int layer,
        Tensor inputNorm,
        Tensor qProj,
        Tensor kProj,
        Tensor vProj,
        Tensor qBias,
        Tensor kBias,
        Tensor vBias,
        Tensor oProj,
        Tensor postAttentionNorm,
        Tensor gateProj,
        Tensor upProj,
        Tensor downProj) {

    public boolean hasQkvBias() { return qBias != null; }
}
