package org.apbj.weights;

import java.util.LinkedHashMap;
import java.util.SequencedMap;

/**
 * The Hugging Face tensor names and shapes ([out, in] for linear weights) of a decoder-only model
 * of a given config: what a checkpoint must hold, nothing more.
 */
public final class TensorNames {
    private TensorNames() {}

    public static final String EMBED_TOKENS = "model.embed_tokens.weight";
    public static final String FINAL_NORM = "model.norm.weight";
    public static final String LM_HEAD = "lm_head.weight";

    /** "model.layers.{layer}.{suffix}". */
    public static String layer(int layer, String suffix) {
        return "model.layers." + layer + "." + suffix;
    }

    public static final String INPUT_NORM = "input_layernorm.weight";
    public static final String Q_PROJ = "self_attn.q_proj.weight";
    public static final String K_PROJ = "self_attn.k_proj.weight";
    public static final String V_PROJ = "self_attn.v_proj.weight";
    public static final String O_PROJ = "self_attn.o_proj.weight";
    public static final String Q_BIAS = "self_attn.q_proj.bias";
    public static final String K_BIAS = "self_attn.k_proj.bias";
    public static final String V_BIAS = "self_attn.v_proj.bias";
    public static final String POST_ATTENTION_NORM = "post_attention_layernorm.weight";
    public static final String GATE_PROJ = "mlp.gate_proj.weight";
    public static final String UP_PROJ = "mlp.up_proj.weight";
    public static final String DOWN_PROJ = "mlp.down_proj.weight";

    /** Retaining-head (Locret) weights, in their own checkpoint. */
    public static final String RETAINING_FC1 = "self_attn.fc1.weight";
    public static final String RETAINING_FC2 = "self_attn.fc2.weight";

    /** Every tensor the model's checkpoint must hold, with its shape, in a stable order. */
    public static SequencedMap<String, long[]> expected(ModelConfig c) {
        long h = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), inter = c.intermediateSize();
        SequencedMap<String, long[]> m = new LinkedHashMap<>();
        m.put(EMBED_TOKENS, new long[] {c.vocabSize(), h});
        for (int i = 0; i < c.numLayers(); i++) {
            m.put(layer(i, INPUT_NORM), new long[] {h});
            m.put(layer(i, Q_PROJ), new long[] {q, h});
            m.put(layer(i, K_PROJ), new long[] {kv, h});
            m.put(layer(i, V_PROJ), new long[] {kv, h});
            if (c.qkvBias()) {
                m.put(layer(i, Q_BIAS), new long[] {q});
                m.put(layer(i, K_BIAS), new long[] {kv});
                m.put(layer(i, V_BIAS), new long[] {kv});
            }
            m.put(layer(i, O_PROJ), new long[] {h, q});
            m.put(layer(i, POST_ATTENTION_NORM), new long[] {h});
            m.put(layer(i, GATE_PROJ), new long[] {inter, h});
            m.put(layer(i, UP_PROJ), new long[] {inter, h});
            m.put(layer(i, DOWN_PROJ), new long[] {h, inter});
        }
        m.put(FINAL_NORM, new long[] {h});
        if (!c.tieWordEmbeddings()) m.put(LM_HEAD, new long[] {c.vocabSize(), h});
        return m;
    }

    /** The retaining heads' tensors for hidden width {@code r}: fc1 [r, (n_h+2·n_kv)·d], fc2 [n_kv, r]. */
    public static SequencedMap<String, long[]> expectedRetainingHeads(ModelConfig c, int r) {
        SequencedMap<String, long[]> m = new LinkedHashMap<>();
        for (int i = 0; i < c.numLayers(); i++) {
            m.put(layer(i, RETAINING_FC1), new long[] {r, c.qkvDim()});
            m.put(layer(i, RETAINING_FC2), new long[] {c.numKvHeads(), r});
        }
        return m;
    }

    /**
     * Tensors that some published checkpoints carry but no model uses: the precomputed RoPE
     * frequencies of older Llama-format exports. transformers ignores them on load; so does apbj.
     */
    public static boolean isIgnorable(String name) {
        return name.startsWith("model.layers.") && name.endsWith(".self_attn.rotary_emb.inv_freq");
    }
}
