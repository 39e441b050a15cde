package org.apbj.parallel.strategy;

import java.util.Random;
import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.KernelMath;
import org.apbj.kernels.runtime.Device;
import org.apbj.model.AttentionMask;
import org.apbj.model.LayerSteps;
import org.apbj.weights.ModelConfig;

/**
 * {@link LayerSteps} of a tiny random Llama computed in plain Java on host arrays (fp32 math,
 * bf16 K/V as the contract stores them): lets the strategies be tested without the model module.
 * Weights are public so an fp64 oracle can recompute a layer independently.
 */
final class HostLayerSteps implements LayerSteps {

    static ModelConfig tinyConfig() {
        return new ModelConfig(ModelConfig.Family.LLAMA, 32, 48, 2, 4, 2, 8, 1e-5f, 10000.0, null, 64, false, 4096,
                false, 0, new int[] {1});
    }

    final ModelConfig cfg;
    final Device device = new HostDevice();
    final float[] embed, finalNorm, lmHead;
    final float[][] inNorm, wq, wk, wv, wo, postNorm, wGate, wUp, wDown, fc1, fc2;
    final int retainHidden = 16;

    HostLayerSteps(ModelConfig cfg, long seed) {
        this.cfg = cfg;
        Random r = new Random(seed);
        int h = cfg.hiddenSize(), L = cfg.numLayers(), ff = cfg.intermediateSize();
        embed = rnd(r, cfg.vocabSize() * h, 1.0f);
        finalNorm = around1(r, h);
        lmHead = rnd(r, cfg.vocabSize() * h, 0.3f);
        inNorm = new float[L][]; postNorm = new float[L][];
        wq = new float[L][]; wk = new float[L][]; wv = new float[L][]; wo = new float[L][];
        wGate = new float[L][]; wUp = new float[L][]; wDown = new float[L][];
        fc1 = new float[L][]; fc2 = new float[L][];
        for (int l = 0; l < L; l++) {
            inNorm[l] = around1(r, h);
            postNorm[l] = around1(r, h);
            wq[l] = rnd(r, cfg.qDim() * h, 0.5f);
            wk[l] = rnd(r, cfg.kvDim() * h, 0.5f);
            wv[l] = rnd(r, cfg.kvDim() * h, 0.5f);
            wo[l] = rnd(r, h * cfg.qDim(), 0.2f);
            wGate[l] = rnd(r, ff * h, 0.3f);
            wUp[l] = rnd(r, ff * h, 0.3f);
            wDown[l] = rnd(r, h * ff, 0.2f);
            fc1[l] = rnd(r, retainHidden * (cfg.qDim() + 2 * cfg.kvDim()), 0.3f);
            fc2[l] = rnd(r, cfg.numKvHeads() * retainHidden, 0.3f);
        }
    }

    private static float[] rnd(Random r, int n, float scale) {
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float) r.nextGaussian() * scale / (float) Math.sqrt(32);
        return w;
    }

    private static float[] around1(Random r, int n) {
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = 1 + 0.1f * (float) r.nextGaussian();
        return w;
    }

    @Override public ModelConfig config() { return cfg; }
    @Override public Device device() { return device; }

    @Override
    public void embed(I32Array tokens, int n, F32Array x) {
        int h = cfg.hiddenSize();
        for (int i = 0; i < n; i++) {
            int t = tokens.get(i);
            for (int j = 0; j < h; j++) x.set((long) i * h + j, embed[t * h + j]);
        }
    }

    private float[] row(F32Array a, int row, int width) {
        float[] out = new float[width];
        for (int j = 0; j < width; j++) out[j] = a.get((long) row * width + j);
        return out;
    }

    private float[] rmsNorm(float[] x, float[] g) {
        double ss = 0;
        for (float v : x) ss += v * v;
        float inv = (float) (1 / Math.sqrt(ss / x.length + cfg.rmsNormEps()));
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i] * inv * g[i];
        return out;
    }

    static float[] matvec(float[] w, float[] x, int out) {
        int in = x.length;
        float[] y = new float[out];
        for (int o = 0; o < out; o++) {
            float s = 0;
            for (int i = 0; i < in; i++) s += w[o * in + i] * x[i];
            y[o] = s;
        }
        return y;
    }

    @Override
    public void projectQkv(int layer, F32Array x, int n, F32Array q, BF16Array k, BF16Array v, int kvRow) {
        int h = cfg.hiddenSize(), qd = cfg.qDim(), kd = cfg.kvDim();
        for (int i = 0; i < n; i++) {
            float[] hn = rmsNorm(row(x, i, h), inNorm[layer]);
            float[] qi = matvec(wq[layer], hn, qd), ki = matvec(wk[layer], hn, kd), vi = matvec(wv[layer], hn, kd);
            for (int j = 0; j < qd; j++) q.set((long) i * qd + j, qi[j]);
            for (int j = 0; j < kd; j++) {
                k.setFloat((long) (kvRow + i) * kd + j, ki[j]);
                v.setFloat((long) (kvRow + i) * kd + j, vi[j]);
            }
        }
    }

    @Override
    public void retainingScores(int layer, F32Array q, BF16Array k, BF16Array v, int kvRow, int n, F32Array scores) {
        int qd = cfg.qDim(), kd = cfg.kvDim(), nkv = cfg.numKvHeads();
        float[] raw = new float[n * nkv];
        for (int i = 0; i < n; i++) {
            float[] in = new float[qd + 2 * kd];
            for (int j = 0; j < qd; j++) in[j] = q.get((long) i * qd + j);
            for (int j = 0; j < kd; j++) {
                in[qd + j] = k.getFloat((long) (kvRow + i) * kd + j);
                in[qd + kd + j] = v.getFloat((long) (kvRow + i) * kd + j);
            }
            float[] hid = matvec(fc1[layer], in, retainHidden);
            for (int j = 0; j < hid.length; j++) hid[j] = hid[j] / (1 + (float) Math.exp(-hid[j]));
            float[] s = matvec(fc2[layer], hid, nkv);
            System.arraycopy(s, 0, raw, i * nkv, nkv);
        }
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < nkv; c++) {
                float m = Float.NEGATIVE_INFINITY;
                for (int j = Math.max(0, i - 2); j <= Math.min(n - 1, i + 2); j++) m = Math.max(m, raw[j * nkv + c]);
                scores.set((long) i * nkv + c, m);
            }
        }
    }

    @Override
    public void rope(F32Array q, BF16Array k, int kvRow, int n, I32Array positions) {
        int d = cfg.headDim(), half = d / 2;
        for (int i = 0; i < n; i++) {
            int pos = positions.get(i);
            for (int hd = 0; hd < cfg.numHeads(); hd++) {
                long base = (long) i * cfg.qDim() + hd * d;
                rotate(pos, half, idx -> q.get(base + idx), (idx, val) -> q.set(base + idx, val));
            }
            for (int hd = 0; hd < cfg.numKvHeads(); hd++) {
                long base = (long) (kvRow + i) * cfg.kvDim() + hd * d;
                rotate(pos, half, idx -> k.getFloat(base + idx), (idx, val) -> k.setFloat(base + idx, val));
            }
        }
    }

    interface Get { float at(int i); }
    interface Put { void at(int i, float v); }

    private void rotate(int pos, int half, Get get, Put put) {
        float[] a = new float[half * 2];
        for (int j = 0; j < 2 * half; j++) a[j] = get.at(j);
        for (int j = 0; j < half; j++) {
            double freq = Math.pow(cfg.ropeTheta(), -2.0 * j / (2 * half));
            float c = (float) Math.cos(pos * freq), s = (float) Math.sin(pos * freq);
            put.at(j, a[j] * c - a[j + half] * s);
            put.at(j + half, a[j + half] * c + a[j] * s);
        }
    }

    @Override
    public void attention(F32Array q, int nq, BF16Array k, BF16Array v, AttentionMask mask, F32Array out, F32Array lse) {
        if (!mask.takesQueries(nq)) throw new IllegalArgumentException("causal attention needs nq == a + b");
        int p = mask.p(), a = mask.a(), b = mask.b();
        boolean causal = mask.causal();
        int d = cfg.headDim(), qd = cfg.qDim(), kd = cfg.kvDim(), g = cfg.groupSize();
        float scale = (float) (1 / Math.sqrt(d));
        int total = p + a + b;
        for (int i = 0; i < nq; i++) {
            for (int hd = 0; hd < cfg.numHeads(); hd++) {
                int kvh = hd / g;
                float[] logits = new float[total];
                boolean[] vis = new boolean[total];
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < total; j++) {
                    vis[j] = !causal || (i < a ? (j >= p && j < p + a && j - p <= i) : (j < p + a || j - p - a <= i - a));
                    if (!vis[j]) continue;
                    float s = 0;
                    for (int e = 0; e < d; e++) s += q.get((long) i * qd + hd * d + e) * k.getFloat((long) j * kd + kvh * d + e);
                    logits[j] = s * scale;
                    max = Math.max(max, logits[j]);
                }
                float sum = 0;
                float[] acc = new float[d];
                for (int j = 0; j < total; j++) {
                    if (!vis[j]) continue;
                    float w = (float) Math.exp(logits[j] - max);
                    sum += w;
                    for (int e = 0; e < d; e++) acc[e] += w * v.getFloat((long) j * kd + kvh * d + e);
                }
                for (int e = 0; e < d; e++) out.set((long) i * qd + hd * d + e, acc[e] / sum);
                lse.set((long) i * cfg.numHeads() + hd, max + (float) Math.log(sum));
            }
        }
    }

    @Override
    public void mergeAttention(F32Array outA, F32Array lseA, F32Array outB, F32Array lseB, int nq) {
        int d = cfg.headDim(), qd = cfg.qDim();
        for (int i = 0; i < nq; i++) {
            for (int hd = 0; hd < cfg.numHeads(); hd++) {
                long li = (long) i * cfg.numHeads() + hd;
                float la = lseA.get(li), lb = lseB.get(li);
                float wB = (float) (1 / (1 + Math.exp(-(lb - la))));   // sigmoid(lse_b - lse_a)
                for (int e = 0; e < d; e++) {
                    long oi = (long) i * qd + hd * d + e;
                    float oa = outA.get(oi);
                    outA.set(oi, oa - wB * (oa - outB.get(oi)));
                }
                lseA.set(li, Math.max(la, lb) + (float) Math.log1p(Math.exp(-Math.abs(la - lb))));
            }
        }
    }

    @Override
    public void finishLayer(int layer, F32Array x, F32Array attn, int n) {
        int h = cfg.hiddenSize(), ff = cfg.intermediateSize();
        for (int i = 0; i < n; i++) {
            float[] xi = row(x, i, h);
            float[] o = matvec(wo[layer], row(attn, i, cfg.qDim()), h);
            for (int j = 0; j < h; j++) xi[j] += o[j];
            float[] hn = rmsNorm(xi, postNorm[layer]);
            float[] gate = matvec(wGate[layer], hn, ff), up = matvec(wUp[layer], hn, ff);
            for (int j = 0; j < ff; j++) gate[j] = gate[j] / (1 + (float) Math.exp(-gate[j])) * up[j];
            float[] down = matvec(wDown[layer], gate, h);
            for (int j = 0; j < h; j++) x.set((long) i * h + j, xi[j] + down[j]);
        }
    }

    @Override
    public void logits(F32Array x, int row, F32Array logits) {
        float[] hn = rmsNorm(row(x, row, cfg.hiddenSize()), finalNorm);
        float[] lg = matvec(lmHead, hn, cfg.vocabSize());
        for (int j = 0; j < lg.length; j++) logits.set(j, lg[j]);
    }

    @Override
    public void selectTopK(F32Array scores, int n, int excludeFirst, int k, I32Array indices) {
        int nkv = cfg.numKvHeads();
        for (int c = 0; c < nkv; c++) {
            final int head = c;
            Integer[] rows = new Integer[n];
            for (int i = 0; i < n; i++) rows[i] = i;
            java.util.Arrays.sort(rows, (x, y) -> {
                float sx = x < excludeFirst ? Float.NEGATIVE_INFINITY : scores.get((long) x * nkv + head);
                float sy = y < excludeFirst ? Float.NEGATIVE_INFINITY : scores.get((long) y * nkv + head);
                return sx != sy ? Float.compare(sy, sx) : Integer.compare(x, y);
            });
            for (int j = 0; j < k; j++) indices.set((long) c * k + j, rows[j]);
        }
    }

    @Override
    public void gatherKv(BF16Array srcK, BF16Array srcV, int srcRow, I32Array indices, int k,
                         BF16Array dstK, BF16Array dstV, int dstRow) {
        int d = cfg.headDim(), kd = cfg.kvDim();
        for (int c = 0; c < cfg.numKvHeads(); c++) {
            for (int j = 0; j < k; j++) {
                int src = srcRow + indices.get(c * k + j);
                for (int e = 0; e < d; e++) {
                    dstK.set((long) (dstRow + j) * kd + c * d + e, srcK.get((long) src * kd + c * d + e));
                    dstV.set((long) (dstRow + j) * kd + c * d + e, srcV.get((long) src * kd + c * d + e));
                }
            }
        }
    }

    static float bf16(float v) { return KernelMath.bf16ToFloat(KernelMath.floatToBf16(v)); }
}
