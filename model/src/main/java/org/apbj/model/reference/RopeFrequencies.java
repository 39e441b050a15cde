package org.apbj.model.reference;

import org.apbj.weights.ModelConfig;

/**
 * RoPE inverse frequencies for the reference forward, in the "rotate half" convention of Hugging
 * Face Llama and Qwen2: dimension i of a head (i < d/2) pairs with i + d/2 and turns by
 * position · invFreq[i]. Computed here rather than taken from the kernel library so that the
 * reference stays an independent check of it.
 */
public final class RopeFrequencies {
    private RopeFrequencies() {}

    /**
     * invFreq[i] = theta^(-2i/d), then, with Llama-3 rope_scaling, long wavelengths divided by
     * the factor and the band between smoothly interpolated (transformers'
     * _compute_llama3_parameters). Rounded to fp32 as transformers keeps them.
     */
    public static float[] inverse(ModelConfig config) {
        int half = config.headDim() / 2;
        float[] inv = new float[half];
        for (int i = 0; i < half; i++) {
            // torch: 1 / base ** (arange(0, d, 2).float() / d), in fp32
            float exponent = (float) (2 * i) / config.headDim();
            inv[i] = (float) (1.0 / Math.pow(config.ropeTheta(), exponent));
        }
        ModelConfig.RopeScaling s = config.ropeScaling();
        if (s == null) return inv;
        double oldLen = s.originalMaxPositionEmbeddings();
        double lowFreqWavelen = oldLen / s.lowFreqFactor();
        double highFreqWavelen = oldLen / s.highFreqFactor();
        for (int i = 0; i < half; i++) {
            double freq = inv[i];
            double wavelen = 2 * Math.PI / freq;
            double scaled;
            if (wavelen < highFreqWavelen) {
                scaled = freq;
            } else if (wavelen > lowFreqWavelen) {
                scaled = freq / s.factor();
            } else {
                double smooth = (oldLen / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
                scaled = (1 - smooth) * freq / s.factor() + smooth * freq;
            }
            inv[i] = (float) scaled;
        }
        return inv;
    }
}
