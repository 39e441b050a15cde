package org.apbj.weights;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Synthetic weights keep activations finite and moderate through many layers: a plain fp64
 * forward (RMSNorm, RoPE, causal GQA attention, SwiGLU MLP, LM head) over a 32-layer random model.
 * Every block reads an RMS-normalised input, so each layer adds a bounded update (rms about
 * 0.02·sqrt(width) per projection) and the residual grows like sqrt(layers), never geometrically.
 */
class SyntheticActivationsTest {
    @TempDir
    Path tmp;

    @Test
    void thirtyTwoRandomLayersStayFinite() {
        ModelConfig c = new ModelConfig(ModelConfig.Family.LLAMA, 512, 1792, 32, 4, 2, 128, 1e-5f, 500000.0, null,
                SyntheticTokenizer.vocabSize(), false, 4096, false, 0, new int[] {1});
        SyntheticModelWriter.Result r = SyntheticModelWriter.write(c, 64, tmp.resolve("m"), 11, null,
                ProgressListener.NONE, SyntheticModelWriter.DEFAULT_MAX_SHARD_BYTES);
        int[] tokens = {0, 2, 100, 57, 200, 3};
        try (ModelWeights w = ModelWeights.open(r.directory())) {
            Forward f = new Forward(w);
            double[][] x = f.embed(tokens);
            for (int l = 0; l < c.numLayers(); l++) {
                f.layer(l, x);
                double rms = rms(x[x.length - 1]);
                System.out.printf("layer %d residual rms %.3f%n", l, rms);
                assertTrue(Double.isFinite(rms) && rms > 0.05 && rms < 50, "layer " + l + " residual rms " + rms);
            }
            double[] logits = f.logits(x[x.length - 1]);
            double rms = rms(logits);
            // final norm gives rms 1; the LM head's rows have norm 0.02·sqrt(512) ≈ 0.45.
            assertEquals(0.02 * Math.sqrt(512), rms, 0.1, "logit rms");
        }
    }

    static double rms(double[] v) {
        double s = 0;
        for (double x : v) s += x * x;
        return Math.sqrt(s / v.length);
    }

    /** A straightforward fp64 Llama forward without a KV cache (all tokens at once). */
    private static final class Forward {
        final ModelWeights w;
        final ModelConfig c;

        Forward(ModelWeights w) {
            this.w = w;
            this.c = w.config();
        }

        double[][] embed(int[] tokens) {
            double[][] x = new double[tokens.length][];
            for (int t = 0; t < tokens.length; t++) x[t] = toDouble(w.embedTokens().row(tokens[t]));
            return x;
        }

        void layer(int l, double[][] x) {
            LayerWeights lw = w.layer(l);
            int n = x.length, d = c.headDim();
            double[][] q = new double[n][], k = new double[n][], v = new double[n][];
            for (int t = 0; t < n; t++) {
                double[] h = rmsNorm(x[t], lw.inputNorm());
                q[t] = rope(matVec(lw.qProj(), h), t);
                k[t] = rope(matVec(lw.kProj(), h), t);
                v[t] = matVec(lw.vProj(), h);
            }
            for (int t = 0; t < n; t++) {
                double[] attn = new double[c.qDim()];
                for (int head = 0; head < c.numHeads(); head++) {
                    int kvHead = head / c.groupSize();
                    double[] p = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int s = 0; s <= t; s++) {
                        double dot = 0;
                        for (int i = 0; i < d; i++) dot += q[t][head * d + i] * k[s][kvHead * d + i];
                        p[s] = dot / Math.sqrt(d);
                        max = Math.max(max, p[s]);
                    }
                    double sum = 0;
                    for (int s = 0; s <= t; s++) sum += p[s] = Math.exp(p[s] - max);
                    for (int s = 0; s <= t; s++) {
                        for (int i = 0; i < d; i++) attn[head * d + i] += p[s] / sum * v[s][kvHead * d + i];
                    }
                }
                add(x[t], matVec(lw.oProj(), attn));
                double[] h = rmsNorm(x[t], lw.postAttentionNorm());
                double[] g = matVec(lw.gateProj(), h), u = matVec(lw.upProj(), h);
                for (int i = 0; i < g.length; i++) g[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
                add(x[t], matVec(lw.downProj(), g));
            }
        }

        double[] logits(double[] x) {
            return matVec(w.lmHead(), rmsNorm(x, w.finalNorm()));
        }

        double[] rmsNorm(double[] x, Tensor weight) {
            double r = 1 / Math.sqrt(rms(x) * rms(x) + c.rmsNormEps());
            double[] out = new double[x.length];
            for (int i = 0; i < x.length; i++) out[i] = x[i] * r * weight.getFloat(i);
            return out;
        }

        /** Rotate-half RoPE (Hugging Face layout) at position pos. */
        double[] rope(double[] v, int pos) {
            int d = c.headDim(), half = d / 2;
            for (int h = 0; h < v.length / d; h++) {
                for (int i = 0; i < half; i++) {
                    double angle = pos * Math.pow(c.ropeTheta(), -2.0 * i / d);
                    double a = v[h * d + i], b = v[h * d + i + half];
                    v[h * d + i] = a * Math.cos(angle) - b * Math.sin(angle);
                    v[h * d + i + half] = b * Math.cos(angle) + a * Math.sin(angle);
                }
            }
            return v;
        }

        static double[] matVec(Tensor m, double[] x) {
            int rows = m.dim(0), cols = m.dim(1);
            assertEquals(cols, x.length, m.name());
            double[] out = new double[rows];
            float[] row = new float[cols];
            for (int r = 0; r < rows; r++) {
                m.readRow(r, row);
                double s = 0;
                for (int i = 0; i < cols; i++) s += row[i] * x[i];
                out[r] = s;
            }
            return out;
        }

        static void add(double[] x, double[] y) {
            for (int i = 0; i < x.length; i++) x[i] += y[i];
        }

        static double[] toDouble(float[] v) {
            double[] out = new double[v.length];
            for (int i = 0; i < v.length; i++) out[i] = v[i];
            return out;
        }
    }
}
