package org.apbj.parallel.strategy;

import org.apbj.kernels.testing.TestSeed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apbj.weights.ModelConfig;
import org.junit.jupiter.api.Test;

/**
 * APB with the default l_a / l_p rule on 3 ranks: the first layer's output of every local row
 * equals an independent fp64 computation of attention over [P ; A ; B] (P from the selections
 * the ranks reported, A = header + query + context, B causal), and each selection is a true
 * per-head top-l_p of fp64 retaining scores outside the first l_a block rows.
 */
@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class ApbFirstLayerOracleTest {

    private static final int QPOS = 2;
    private static final int HOSTS = 3;

    @Test
    void firstLayerMatchesAnFp64ComputationOfPassingAnchorAndBlock() {
        long seed = TestSeed.next();
        Random rnd = new Random(seed);
        int[] context = rnd.ints(200, 2, 64).toArray();
        int[] query = rnd.ints(5, 2, 64).toArray();
        HostLayerSteps model = new HostLayerSteps(HostLayerSteps.tinyConfig(), seed);
        RankRun apb = RankRun.run(Method.APB, HOSTS, context, query, StrategyOptions.defaults(QPOS, 2), 2,
                comm -> new HostLayerSteps(HostLayerSteps.tinyConfig(), seed));

        int block = 67, la = 16, lp = 8;   // ceil(200/3); B/4 -> 16; B/8 -> 8 (rounded to the tile of 16 when >= 16)
        int[] anchorTokens = new int[la];
        anchorTokens[0] = context[0];
        anchorTokens[1] = context[1];
        System.arraycopy(query, 0, anchorTokens, 2, query.length);
        System.arraycopy(context, 2, anchorTokens, 2 + query.length, la - 2 - query.length);

        Oracle oracle = new Oracle(model);
        int nkv = model.cfg.numKvHeads();
        for (int r = 0; r < HOSTS - 1; r++) {
            int[][] sel = apb.selections.get(r + "/0");
            assertEquals(nkv, sel.length);
            // scores over this rank's [A ; B] rows, pooled, fp64
            List<int[]> rows = new ArrayList<>();   // {token, position}
            if (r > 0) for (int i = 0; i < la; i++) rows.add(new int[] {anchorTokens[i], i});
            for (int i = 0; i < block; i++) rows.add(new int[] {context[r * block + i], r * block + i});
            double[][] scores = oracle.pooledScores(rows);
            int a = r > 0 ? la : 0;
            for (int c = 0; c < nkv; c++) {
                assertEquals(lp, sel[c].length);
                assertEquals(lp, Arrays.stream(sel[c]).distinct().count(), "distinct rows");
                double minSelected = Double.POSITIVE_INFINITY, maxOther = Double.NEGATIVE_INFINITY;
                boolean[] chosen = new boolean[block];
                for (int pos : sel[c]) {
                    int local = pos - r * block;
                    assertTrue(local >= la && local < block, "rank " + r + " head " + c + " selected local row " + local
                            + ", inside the first l_a=" + la + " rows or outside the block");
                    chosen[local] = true;
                    minSelected = Math.min(minSelected, scores[a + local][c]);
                }
                for (int local = la; local < block; local++) if (!chosen[local]) maxOther = Math.max(maxOther, scores[a + local][c]);
                assertTrue(minSelected >= maxOther - 1e-3, "rank " + r + " head " + c + ": selected min " + minSelected
                        + " below unselected max " + maxOther);
            }
        }

        Map<Integer, float[]> layer0 = apb.hidden.get("PREFILL/0");
        double worst = 0;
        for (int r = 0; r < HOSTS; r++) {
            int real = r == HOSTS - 1 ? 200 - 2 * block : block;
            for (int t = 0; t < real; t++) {
                int pos = r * block + t;
                List<List<int[]>> keys = new ArrayList<>();
                for (int c = 0; c < nkv; c++) {
                    List<int[]> kc = new ArrayList<>();
                    for (int src = 0; src < r; src++) for (int p : apb.selections.get(src + "/0")[c]) kc.add(new int[] {context[p], p});
                    if (r > 0) for (int i = 0; i < la; i++) kc.add(new int[] {anchorTokens[i], i});
                    for (int u = 0; u <= t; u++) kc.add(new int[] {context[r * block + u], r * block + u});
                    keys.add(kc);
                }
                double[] expected = oracle.layer0(context[pos], pos, keys);
                float[] actual = layer0.get(pos);
                for (int j = 0; j < expected.length; j++) worst = Math.max(worst, Math.abs(expected[j] - actual[j]));
            }
        }
        assertTrue(worst < 1e-4, "max |fp64 oracle - APB| over all local rows of layer 0: " + worst + " (seed " + seed + ")");
    }

    /** Layer 0 of HostLayerSteps' weights in fp64; K and V rounded to bf16 where the contract stores them. */
    static final class Oracle {
        final HostLayerSteps m;
        final ModelConfig cfg;

        Oracle(HostLayerSteps m) {
            this.m = m;
            this.cfg = m.cfg;
        }

        double[] embed(int token) {
            double[] x = new double[cfg.hiddenSize()];
            for (int j = 0; j < x.length; j++) x[j] = m.embed[token * x.length + j];
            return x;
        }

        double[] norm(double[] x, float[] g) {
            double ss = 0;
            for (double v : x) ss += v * v;
            double inv = 1 / Math.sqrt(ss / x.length + cfg.rmsNormEps());
            double[] out = new double[x.length];
            for (int i = 0; i < x.length; i++) out[i] = x[i] * inv * g[i];
            return out;
        }

        static double[] mv(float[] w, double[] x, int out) {
            double[] y = new double[out];
            for (int o = 0; o < out; o++) for (int i = 0; i < x.length; i++) y[o] += w[o * x.length + i] * x[i];
            return y;
        }

        double[] rope(double[] v, int pos, int heads, boolean roundBf16) {
            int d = cfg.headDim(), half = d / 2;
            double[] out = v.clone();
            for (int h = 0; h < heads; h++) {
                for (int j = 0; j < half; j++) {
                    double f = Math.pow(cfg.ropeTheta(), -2.0 * j / d);
                    double c = Math.cos(pos * f), s = Math.sin(pos * f);
                    double a = v[h * d + j], b = v[h * d + j + half];
                    out[h * d + j] = a * c - b * s;
                    out[h * d + j + half] = b * c + a * s;
                }
            }
            if (roundBf16) for (int i = 0; i < out.length; i++) out[i] = HostLayerSteps.bf16((float) out[i]);
            return out;
        }

        static double[] bf16(double[] v) {
            double[] o = new double[v.length];
            for (int i = 0; i < v.length; i++) o[i] = HostLayerSteps.bf16((float) v[i]);
            return o;
        }

        /** Retaining-head scores of layer 0 for the given rows, max-pooled (window 5, padding 2). */
        double[][] pooledScores(List<int[]> rows) {
            int n = rows.size(), nkv = cfg.numKvHeads();
            double[][] raw = new double[n][];
            for (int i = 0; i < n; i++) {
                double[] h = norm(embed(rows.get(i)[0]), m.inNorm[0]);
                double[] q = mv(m.wq[0], h, cfg.qDim()), k = bf16(mv(m.wk[0], h, cfg.kvDim())), v = bf16(mv(m.wv[0], h, cfg.kvDim()));
                double[] in = new double[q.length + k.length + v.length];
                System.arraycopy(q, 0, in, 0, q.length);
                System.arraycopy(k, 0, in, q.length, k.length);
                System.arraycopy(v, 0, in, q.length + k.length, v.length);
                double[] hid = mv(m.fc1[0], in, m.retainHidden);
                for (int j = 0; j < hid.length; j++) hid[j] = hid[j] / (1 + Math.exp(-hid[j]));
                raw[i] = mv(m.fc2[0], hid, nkv);
            }
            double[][] pooled = new double[n][nkv];
            for (int i = 0; i < n; i++) {
                for (int c = 0; c < nkv; c++) {
                    double best = Double.NEGATIVE_INFINITY;
                    for (int j = Math.max(0, i - 2); j <= Math.min(n - 1, i + 2); j++) best = Math.max(best, raw[j][c]);
                    pooled[i][c] = best;
                }
            }
            return pooled;
        }

        /** Output of layer 0 for one query token at {@code pos}, attending per KV head to the given (token, position) keys. */
        double[] layer0(int token, int pos, List<List<int[]>> keysPerKvHead) {
            int d = cfg.headDim(), g = cfg.groupSize();
            double[] x = embed(token);
            double[] q = rope(mv(m.wq[0], norm(x, m.inNorm[0]), cfg.qDim()), pos, cfg.numHeads(), false);
            double[] attn = new double[cfg.qDim()];
            for (int h = 0; h < cfg.numHeads(); h++) {
                List<int[]> keys = keysPerKvHead.get(h / g);
                double[] logits = new double[keys.size()];
                double[][] vals = new double[keys.size()][];
                double max = Double.NEGATIVE_INFINITY;
                for (int i = 0; i < keys.size(); i++) {
                    double[] hk = norm(embed(keys.get(i)[0]), m.inNorm[0]);
                    double[] k = rope(bf16(mv(m.wk[0], hk, cfg.kvDim())), keys.get(i)[1], cfg.numKvHeads(), true);
                    vals[i] = bf16(mv(m.wv[0], hk, cfg.kvDim()));
                    double s = 0;
                    for (int e = 0; e < d; e++) s += q[h * d + e] * k[(h / g) * d + e];
                    logits[i] = s / Math.sqrt(d);
                    max = Math.max(max, logits[i]);
                }
                double sum = 0;
                for (int i = 0; i < keys.size(); i++) {
                    double w = Math.exp(logits[i] - max);
                    sum += w;
                    for (int e = 0; e < d; e++) attn[h * d + e] += w * vals[i][(h / g) * d + e];
                }
                for (int e = 0; e < d; e++) attn[h * d + e] /= sum;
            }
            double[] o = mv(m.wo[0], attn, cfg.hiddenSize());
            for (int j = 0; j < x.length; j++) x[j] += o[j];
            double[] hn = norm(x, m.postNorm[0]);
            double[] gate = mv(m.wGate[0], hn, cfg.intermediateSize()), up = mv(m.wUp[0], hn, cfg.intermediateSize());
            for (int j = 0; j < gate.length; j++) gate[j] = gate[j] / (1 + Math.exp(-gate[j])) * up[j];
            double[] down = mv(m.wDown[0], gate, cfg.hiddenSize());
            for (int j = 0; j < x.length; j++) x[j] += down[j];
            return x;
        }
    }
}
