package org.apbj.model.reference;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import org.apbj.weights.ModelConfig;
import org.apbj.weights.ModelWeights;
import org.apbj.weights.RetainingHeads;

/**
 * A plain-Java forward pass of a Llama / Qwen2 decoder in fp32 (weights widened exactly from
 * bf16), written with simple loops and independent of the GPU kernels: the yardstick the
 * kernels are checked against. Follows Hugging Face's modeling code step by step (RMSNorm in
 * fp32, rotate-half RoPE, GQA, SwiGLU, q/k/v biases for Qwen2) and keeps its KV cache in fp32.
 * Not fast: meant for tiny models and short sequences.
 */
public final class ReferenceModel {

    private final ModelConfig cfg;
    private final float[] embed;      // [vocab, hidden]
    private final float[] finalNorm;  // [hidden]
    private final float[] lmHead;     // [vocab, hidden]
    private final Layer[] layers;
    private final float[] invFreq;

    /** One decoder layer's weights, nn.Linear layout [out, in]; biases and heads may be null. */
    private record Layer(float[] inputNorm, float[] wq, float[] bq, float[] wk, float[] bk, float[] wv, float[] bv,
                         float[] wo, float[] postNorm, float[] gate, float[] up, float[] down,
                         float[] fc1, float[] fc2, int retainingHidden) {}

    private ReferenceModel(ModelConfig cfg, float[] embed, float[] finalNorm, float[] lmHead, Layer[] layers) {
        this.cfg = cfg;
        this.embed = embed;
        this.finalNorm = finalNorm;
        this.lmHead = lmHead;
        this.layers = layers;
        this.invFreq = RopeFrequencies.inverse(cfg);
    }

    /**
     * Reads every tensor the config calls for (Hugging Face names) from {@code weights}, and the
     * retaining heads {@code model.layers.i.self_attn.fc1/fc2.weight} from {@code heads} when it
     * is not null.
     */
    public static ReferenceModel load(ModelConfig cfg, TensorSource weights, TensorSource heads) {
        int h = cfg.hiddenSize(), inter = cfg.intermediateSize(), qd = cfg.qDim(), kvd = cfg.kvDim();
        long vocab = cfg.vocabSize();
        float[] embed = weights.floats("model.embed_tokens.weight", vocab * h);
        float[] lmHead = cfg.tieWordEmbeddings() ? embed : weights.floats("lm_head.weight", vocab * h);
        float[] norm = weights.floats("model.norm.weight", h);
        Layer[] layers = new Layer[cfg.numLayers()];
        for (int l = 0; l < layers.length; l++) {
            String p = "model.layers." + l + ".";
            float[] fc1 = null, fc2 = null;
            int retainingHidden = 0;
            if (heads != null) {
                fc2 = heads.floatsOrNull(p + "self_attn.fc2.weight");
                if (fc2 == null || fc2.length % cfg.numKvHeads() != 0) {
                    throw new IllegalArgumentException("retaining heads: " + p + "self_attn.fc2.weight is missing or not ["
                            + cfg.numKvHeads() + ", hidden]");
                }
                retainingHidden = fc2.length / cfg.numKvHeads();
                fc1 = heads.floats(p + "self_attn.fc1.weight", (long) retainingHidden * (qd + 2L * kvd));
            }
            layers[l] = new Layer(
                    weights.floats(p + "input_layernorm.weight", h),
                    weights.floats(p + "self_attn.q_proj.weight", (long) qd * h),
                    cfg.qkvBias() ? weights.floats(p + "self_attn.q_proj.bias", qd) : null,
                    weights.floats(p + "self_attn.k_proj.weight", (long) kvd * h),
                    cfg.qkvBias() ? weights.floats(p + "self_attn.k_proj.bias", kvd) : null,
                    weights.floats(p + "self_attn.v_proj.weight", (long) kvd * h),
                    cfg.qkvBias() ? weights.floats(p + "self_attn.v_proj.bias", kvd) : null,
                    weights.floats(p + "self_attn.o_proj.weight", (long) h * qd),
                    weights.floats(p + "post_attention_layernorm.weight", h),
                    weights.floats(p + "mlp.gate_proj.weight", (long) inter * h),
                    weights.floats(p + "mlp.up_proj.weight", (long) inter * h),
                    weights.floats(p + "mlp.down_proj.weight", (long) h * inter),
                    fc1, fc2, retainingHidden);
        }
        return new ReferenceModel(cfg, embed, norm, lmHead, layers);
    }

    /** The reference of a checkpoint opened by the weights module, with its retaining heads when not null. */
    public static ReferenceModel load(ModelWeights weights, RetainingHeads heads) {
        TensorSource model = name -> weights.checkpoint().contains(name) ? weights.tensor(name).toFloatArray() : null;
        TensorSource retaining = heads == null ? null : name -> {
            Matcher m = HEAD_NAME.matcher(name);
            if (!m.matches()) return null;
            int layer = Integer.parseInt(m.group(1));
            return (m.group(2).equals("1") ? heads.fc1(layer) : heads.fc2(layer)).toFloatArray();
        };
        return load(weights.config(), model, retaining);
    }

    private static final Pattern HEAD_NAME = Pattern.compile("model\\.layers\\.(\\d+)\\.self_attn\\.fc([12])\\.weight");

    public ModelConfig config() { return cfg; }

    public boolean hasRetainingHeads() { return layers.length > 0 && layers[0].fc1 != null; }

    // ------------------------------------------------------------------------------------------
    // Public API

    /**
     * The result of a prefill.
     *
     * @param logits       F32 [rows, vocab]: the logits of the last {@code rows} tokens
     * @param embeddings   F32 [T, hidden] token embeddings, or null unless hidden states were asked for
     * @param layerOutputs per layer, the residual stream after that layer, F32 [T, hidden]; empty
     *                     unless asked for
     * @param session      the KV cache after the prompt, to continue decoding
     */
    public record Prefill(float[][] logits, float[] embeddings, List<float[]> layerOutputs, Session session) {}

    /**
     * Causal prefill of {@code tokens} from position 0, returning the logits of the last
     * {@code logitRows} tokens (all of them when {@code logitRows >= tokens.length}) and, with
     * {@code keepHidden}, the embeddings and every layer's output.
     */
    public Prefill prefill(int[] tokens, int logitRows, boolean keepHidden) {
        if (tokens.length == 0) throw new IllegalArgumentException("prefill needs at least one token");
        Session s = new Session(tokens.length);
        List<float[]> hidden = keepHidden ? new ArrayList<>() : null;
        float[] x = s.forward(tokens, hidden);
        int rows = Math.min(Math.max(logitRows, 1), tokens.length);
        float[][] logits = new float[rows][];
        for (int r = 0; r < rows; r++) logits[r] = logitsOfRow(x, tokens.length - rows + r);
        float[] emb = keepHidden ? hidden.removeFirst() : null;
        return new Prefill(logits, emb, keepHidden ? List.copyOf(hidden) : List.of(), s);
    }

    /** Greedy generation: at most {@code maxNew} tokens after {@code prompt}, stopping after a token that {@code stop} accepts. */
    public int[] generate(int[] prompt, int maxNew, IntPredicate stop) {
        Prefill p = prefill(prompt, 1, false);
        int[] out = new int[maxNew];
        int n = 0;
        float[] logits = p.logits()[0];
        while (n < maxNew) {
            int next = argmax(logits);
            out[n++] = next;
            if (stop.test(next) || n == maxNew) break;
            logits = p.session().decode(next);
        }
        return Arrays.copyOf(out, n);
    }

    /**
     * Raw retaining-head scores of layer {@code layer}: F32 [T, nKvHeads],
     * fc2(silu(fc1(concat(q, k, v)))) with q, k, v the projections (biases included) of the
     * layer's input-layernorm output before RoPE.
     */
    public float[] retainingScores(int[] tokens, int layer) {
        if (!hasRetainingHeads()) throw new IllegalStateException("this model was loaded without retaining heads");
        Objects.checkIndex(layer, layers.length);
        Session s = new Session(tokens.length);
        float[] x = s.embedTokens(tokens);
        int n = tokens.length;
        for (int l = 0; l < layer; l++) x = s.layer(l, x, n, 0);
        Layer w = layers[layer];
        float[] xn = rmsNorm(x, n, w.inputNorm);
        float[] q = linear(xn, n, cfg.hiddenSize(), w.wq, w.bq, cfg.qDim());
        float[] k = linear(xn, n, cfg.hiddenSize(), w.wk, w.bk, cfg.kvDim());
        float[] v = linear(xn, n, cfg.hiddenSize(), w.wv, w.bv, cfg.kvDim());
        int qkv = cfg.qDim() + 2 * cfg.kvDim();
        float[] cat = new float[n * qkv];
        for (int t = 0; t < n; t++) {
            System.arraycopy(q, t * cfg.qDim(), cat, t * qkv, cfg.qDim());
            System.arraycopy(k, t * cfg.kvDim(), cat, t * qkv + cfg.qDim(), cfg.kvDim());
            System.arraycopy(v, t * cfg.kvDim(), cat, t * qkv + cfg.qDim() + cfg.kvDim(), cfg.kvDim());
        }
        float[] hid = linear(cat, n, qkv, w.fc1, null, w.retainingHidden);
        for (int i = 0; i < hid.length; i++) hid[i] = silu(hid[i]);
        return linear(hid, n, w.retainingHidden, w.fc2, null, cfg.numKvHeads());
    }

    /**
     * Max-pool along the sequence of an [n, cols] array: out[t, c] = max of rows
     * [t - window/2, t + window/2] clipped to [0, n) (PyTorch's max_pool1d with -inf padding, stride 1).
     */
    public static float[] maxPool(float[] scores, int n, int cols, int window) {
        int half = window / 2;
        float[] out = new float[n * cols];
        for (int t = 0; t < n; t++) {
            for (int c = 0; c < cols; c++) {
                float m = Float.NEGATIVE_INFINITY;
                for (int s = Math.max(0, t - half); s <= Math.min(n - 1, t + half); s++) m = Math.max(m, scores[s * cols + c]);
                out[t * cols + c] = m;
            }
        }
        return out;
    }

    public static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    /** A KV cache (fp32) and the position reached; {@link #decode} continues from there. */
    public final class Session {
        private final float[][] keys = new float[layers.length][];
        private final float[][] values = new float[layers.length][];
        private int length;

        private Session(int capacity) {
            for (int l = 0; l < layers.length; l++) {
                keys[l] = new float[capacity * cfg.kvDim()];
                values[l] = new float[capacity * cfg.kvDim()];
            }
        }

        /** Tokens in the cache. */
        public int length() { return length; }

        /** Feeds one token at the next position; returns its logits. */
        public float[] decode(int token) {
            float[] x = forward(new int[] {token}, null);
            return logitsOfRow(x, 0);
        }

        private float[] forward(int[] tokens, List<float[]> hidden) {
            int n = tokens.length;
            ensureCapacity(length + n);
            float[] x = embedTokens(tokens);
            if (hidden != null) hidden.add(x.clone());
            for (int l = 0; l < layers.length; l++) {
                x = layer(l, x, n, length);
                if (hidden != null) hidden.add(x.clone());
            }
            length += n;
            return x;
        }

        private void ensureCapacity(int tokens) {
            int need = tokens * cfg.kvDim();
            if (keys[0].length >= need) return;
            int grown = Math.max(need, keys[0].length * 2);
            for (int l = 0; l < layers.length; l++) {
                keys[l] = Arrays.copyOf(keys[l], grown);
                values[l] = Arrays.copyOf(values[l], grown);
            }
        }

        private float[] embedTokens(int[] tokens) {
            int h = cfg.hiddenSize();
            float[] x = new float[tokens.length * h];
            for (int t = 0; t < tokens.length; t++) {
                Objects.checkIndex(tokens[t], cfg.vocabSize());
                System.arraycopy(embed, tokens[t] * h, x, t * h, h);
            }
            return x;
        }

        /** One decoder layer on n new tokens at positions [pos0, pos0 + n); appends their K/V. */
        private float[] layer(int l, float[] x, int n, int pos0) {
            Layer w = layers[l];
            int h = cfg.hiddenSize(), qd = cfg.qDim(), kvd = cfg.kvDim();
            float[] xn = rmsNorm(x, n, w.inputNorm);
            float[] q = linear(xn, n, h, w.wq, w.bq, qd);
            float[] k = linear(xn, n, h, w.wk, w.bk, kvd);
            float[] v = linear(xn, n, h, w.wv, w.bv, kvd);
            rope(q, n, cfg.numHeads(), pos0);
            rope(k, n, cfg.numKvHeads(), pos0);
            System.arraycopy(k, 0, keys[l], pos0 * kvd, n * kvd);
            System.arraycopy(v, 0, values[l], pos0 * kvd, n * kvd);
            float[] attn = attention(q, n, pos0, keys[l], values[l]);
            float[] o = linear(attn, n, qd, w.wo, null, h);
            float[] x1 = new float[n * h];
            for (int i = 0; i < x1.length; i++) x1[i] = x[i] + o[i];
            float[] xn2 = rmsNorm(x1, n, w.postNorm);
            int inter = cfg.intermediateSize();
            float[] g = linear(xn2, n, h, w.gate, null, inter);
            float[] u = linear(xn2, n, h, w.up, null, inter);
            for (int i = 0; i < g.length; i++) g[i] = silu(g[i]) * u[i];
            float[] down = linear(g, n, inter, w.down, null, h);
            for (int i = 0; i < x1.length; i++) x1[i] += down[i];
            return x1;
        }
    }

    // ------------------------------------------------------------------------------------------
    // The math, row-parallel

    private float[] logitsOfRow(float[] x, int row) {
        int h = cfg.hiddenSize();
        float[] xr = Arrays.copyOfRange(x, row * h, (row + 1) * h);
        return linear(rmsNorm(xr, 1, finalNorm), 1, h, lmHead, null, cfg.vocabSize());
    }

    /** HF LlamaRMSNorm: x · rsqrt(mean(x²) + eps) · w, in fp32. */
    private float[] rmsNorm(float[] x, int n, float[] w) {
        int h = w.length;
        float[] out = new float[n * h];
        IntStream.range(0, n).parallel().forEach(t -> {
            float ss = 0;
            for (int i = 0; i < h; i++) ss += x[t * h + i] * x[t * h + i];
            float r = (float) (1.0 / Math.sqrt(ss / h + cfg.rmsNormEps()));
            for (int i = 0; i < h; i++) out[t * h + i] = w[i] * (x[t * h + i] * r);
        });
        return out;
    }

    /** x [n, in] · Wᵀ (W [out, in]) + b: four rows at a time so each weight row is read once per four. */
    static float[] linear(float[] x, int n, int in, float[] w, float[] b, int out) {
        float[] y = new float[n * out];
        int blocks = (n + 3) / 4;
        IntStream.range(0, blocks).parallel().forEach(blk -> {
            int t0 = blk * 4, rows = Math.min(4, n - t0);
            int a0 = t0 * in, a1 = a0 + (rows > 1 ? in : 0), a2 = a0 + (rows > 2 ? 2 * in : 0), a3 = a0 + (rows > 3 ? 3 * in : 0);
            for (int o = 0; o < out; o++) {
                int wo = o * in;
                float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                for (int i = 0; i < in; i++) {
                    float wi = w[wo + i];
                    s0 += x[a0 + i] * wi;
                    s1 += x[a1 + i] * wi;
                    s2 += x[a2 + i] * wi;
                    s3 += x[a3 + i] * wi;
                }
                float bias = b == null ? 0 : b[o];
                y[t0 * out + o] = s0 + bias;
                if (rows > 1) y[(t0 + 1) * out + o] = s1 + bias;
                if (rows > 2) y[(t0 + 2) * out + o] = s2 + bias;
                if (rows > 3) y[(t0 + 3) * out + o] = s3 + bias;
            }
        });
        return y;
    }

    /** Rotate-half RoPE in place on [n, heads·d] at positions pos0 + t, angles in fp32 as transformers computes them. */
    private void rope(float[] a, int n, int heads, int pos0) {
        int d = cfg.headDim(), half = d / 2;
        for (int t = 0; t < n; t++) {
            int pos = pos0 + t;
            for (int i = 0; i < half; i++) {
                float angle = (float) pos * invFreq[i];
                float c = (float) Math.cos(angle), s = (float) Math.sin(angle);
                for (int hh = 0; hh < heads; hh++) {
                    int base = t * heads * d + hh * d;
                    float x1 = a[base + i], x2 = a[base + i + half];
                    a[base + i] = x1 * c - x2 * s;
                    a[base + i + half] = x2 * c + x1 * s;
                }
            }
        }
    }

    /** Causal GQA attention of n queries at positions pos0 + t against cached keys [0, pos0 + t]. */
    private float[] attention(float[] q, int n, int pos0, float[] k, float[] v) {
        int d = cfg.headDim(), nh = cfg.numHeads(), group = cfg.groupSize(), kvd = cfg.kvDim(), qd = cfg.qDim();
        float scale = (float) (1.0 / Math.sqrt(d));
        float[] out = new float[n * qd];
        IntStream.range(0, n * nh).parallel().forEach(job -> {
            int t = job / nh, hh = job % nh, kvh = hh / group;
            int keysSeen = pos0 + t + 1;
            float[] p = new float[keysSeen];
            float max = Float.NEGATIVE_INFINITY;
            int qo = t * qd + hh * d;
            for (int s = 0; s < keysSeen; s++) {
                int ko = s * kvd + kvh * d;
                float dot = 0;
                for (int i = 0; i < d; i++) dot += q[qo + i] * k[ko + i];
                p[s] = dot * scale;
                max = Math.max(max, p[s]);
            }
            float sum = 0;
            for (int s = 0; s < keysSeen; s++) {
                p[s] = (float) Math.exp(p[s] - max);
                sum += p[s];
            }
            for (int s = 0; s < keysSeen; s++) {
                float ps = p[s] / sum;
                int vo = s * kvd + kvh * d;
                for (int i = 0; i < d; i++) out[qo + i] += ps * v[vo + i];
            }
        });
        return out;
    }

    private static float silu(float x) { return x / (1.0f + (float) Math.exp(-x)); }
}
