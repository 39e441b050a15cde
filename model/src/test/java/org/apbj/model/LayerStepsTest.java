package org.apbj.model;

import org.apbj.kernels.testing.TestSeed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.runtime.Device;
import org.apbj.weights.ModelConfig;
import org.apbj.weights.ModelWeights;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The LayerSteps the parallel strategies rely on beyond the dense path — the [P ; A ; B]
 * attention mask, the LSE merge, top-k and the KV gather — against fp64 host code on random
 * inputs, on the Java device and on PoCL.
 */
@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class LayerStepsTest {

    static Path dir;
    static ModelConfig cfg;
    static SplittableRandom RND;

    @BeforeAll
    static void model(@org.junit.jupiter.api.io.TempDir Path tmp) {
        RND = new SplittableRandom(TestSeed.next());
        cfg = RandomModels.tinyConfig(ModelConfig.Family.LLAMA, false, false);
        dir = RandomModels.write(tmp.resolve("m"), cfg, RND.nextLong());
    }

    interface WithSteps { void run(Device d, DeviceModel tf); }

    static void withSteps(String spec, WithSteps body) {
        try (Device d = TestDevices.open(spec); ModelWeights w = ModelWeights.open(dir);
             DeviceModel tf = DeviceModel.load(d, w, null, 64, 64)) {
            body.run(d, tf);
        }
    }

    static float[] randomFloats(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) RND.nextGaussian();
        return v;
    }

    /** Rounds through bf16, as the device's K/V buffers hold them. */
    static float[] bf16(float[] v) {
        float[] r = new float[v.length];
        for (int i = 0; i < v.length; i++) r[i] = org.apbj.kernels.api.KernelMath.bf16ToFloat(org.apbj.kernels.api.KernelMath.floatToBf16(v[i]));
        return r;
    }

    static float[] host(Device d, F32Array a) {
        try (F32Array h = F32Array.allocate(a.length())) {
            d.copyOut(h, a);
            return h.toArray();
        }
    }

    /** fp64 attention of query row r over the given key range set. */
    static void expectedAttention(float[] q, float[] k, float[] v, int r, int h, boolean[] visible, double[] out, double[] lse) {
        int d = cfg.headDim(), nh = cfg.numHeads(), kvh = h / cfg.groupSize(), kvd = cfg.kvDim();
        double max = Double.NEGATIVE_INFINITY;
        double[] logits = new double[visible.length];
        for (int s = 0; s < visible.length; s++) {
            if (!visible[s]) continue;
            double dot = 0;
            for (int i = 0; i < d; i++) dot += (double) q[r * nh * d + h * d + i] * k[s * kvd + kvh * d + i];
            logits[s] = dot / Math.sqrt(d);
            max = Math.max(max, logits[s]);
        }
        double sum = 0;
        Arrays.fill(out, 0);
        for (int s = 0; s < visible.length; s++) {
            if (!visible[s]) continue;
            double e = Math.exp(logits[s] - max);
            sum += e;
            for (int i = 0; i < d; i++) out[i] += e * v[s * kvd + kvh * d + i];
        }
        for (int i = 0; i < d; i++) out[i] /= sum;
        lse[0] = max + Math.log(sum);
    }

    @ParameterizedTest
    @ValueSource(strings = {"java", "opencl"})
    void apbMaskAttentionAndMergeMatchFp64(String spec) {
        withSteps(spec, (d, tf) -> {
            int p = 5, a = 4, b = 7, keys = p + a + b, nq = a + b;
            int qd = cfg.qDim(), kvd = cfg.kvDim(), nh = cfg.numHeads(), hd = cfg.headDim();
            float[] q = randomFloats(nq * qd), k = bf16(randomFloats(keys * kvd)), v = bf16(randomFloats(keys * kvd));
            try (F32Array dq = d.upload(F32Array.fromArray(q));
                 BF16Array dk = d.upload(BF16Array.fromFloats(k));
                 BF16Array dv = d.upload(BF16Array.fromFloats(v));
                 F32Array out = d.allocF32((long) nq * qd); F32Array lse = d.allocF32((long) nq * nh);
                 F32Array out2 = d.allocF32((long) nq * qd); F32Array lse2 = d.allocF32((long) nq * nh)) {
                // 1. causal [P ; A ; B]
                tf.attention(dq, nq, dk, dv, AttentionMask.apb(p, a, b), out, lse);
                check(host(d, out), host(d, lse), q, k, v, nq, r -> IntStream.range(0, keys).mapToObj(s ->
                        r < a ? s >= p && s <= p + r : s <= p + r).toArray(Boolean[]::new), "causal [P;A;B]");
                // the other named masks: new tokens after a cache, an anchored block, plain causal
                tf.attention(dq, nq, dk, dv, AttentionMask.appended(keys - nq, nq), out, lse);
                check(host(d, out), host(d, lse), q, k, v, nq, r -> IntStream.range(0, keys).mapToObj(s ->
                        s <= keys - nq + r).toArray(Boolean[]::new), "appended after a cache");
                tf.attention(dq, nq, dk, dv, AttentionMask.anchored(a, b), out, lse);
                check(host(d, out), host(d, lse), q, k, v, nq, r -> IntStream.range(0, keys).mapToObj(s ->
                        s < nq && (r < a ? s <= r && s < a : s <= r)).toArray(Boolean[]::new), "anchored block");
                tf.attention(dq, nq, dk, dv, AttentionMask.causal(nq), out, lse);
                check(host(d, out), host(d, lse), q, k, v, nq, r -> IntStream.range(0, keys).mapToObj(s ->
                        s <= r).toArray(Boolean[]::new), "plain causal");
                var wrongRows = assertThrows(IllegalArgumentException.class,
                        () -> tf.attention(dq, nq - 1, dk, dv, AttentionMask.anchored(a, b), out, lse));
                assertTrue(wrongRows.getMessage().contains("nq " + (nq - 1) + " != a + b = " + nq), wrongRows.getMessage());
                // 2. non-causal over all keys, and the same as two halves merged by LSE
                tf.attention(dq, nq, dk, dv, AttentionMask.foreignBlock(keys), out, lse);
                check(host(d, out), host(d, lse), q, k, v, nq, r -> IntStream.range(0, keys).mapToObj(s -> true)
                        .toArray(Boolean[]::new), "non-causal");
                int split = 6;
                try (BF16Array k1 = d.upload(BF16Array.fromFloats(Arrays.copyOf(k, split * kvd)));
                     BF16Array v1 = d.upload(BF16Array.fromFloats(Arrays.copyOf(v, split * kvd)));
                     BF16Array k2 = d.upload(BF16Array.fromFloats(Arrays.copyOfRange(k, split * kvd, keys * kvd)));
                     BF16Array v2 = d.upload(BF16Array.fromFloats(Arrays.copyOfRange(v, split * kvd, keys * kvd)))) {
                    tf.attention(dq, nq, k1, v1, AttentionMask.foreignBlock(split), out, lse);
                    tf.attention(dq, nq, k2, v2, AttentionMask.foreignBlock(keys - split), out2, lse2);
                    tf.mergeAttention(out, lse, out2, lse2, nq);
                    check(host(d, out), host(d, lse), q, k, v, nq, r -> IntStream.range(0, keys).mapToObj(s -> true)
                            .toArray(Boolean[]::new), "merged halves");
                }
            }
        });
    }

    /**
     * Few query rows run on the decode kernel ({@link org.apbj.kernels.lib.DecodeAttention}),
     * which rounds Q·scale·log2(e) and P to bf16 like every tensor-core attention: the reference
     * then takes the same rounded Q, and outputs get P's rounding on top of the fp32 tolerance
     * (at most 2^-8·max|v| with rounding relative to each tile's max); lse does not see it.
     */
    private void check(float[] out, float[] lse, float[] q, float[] k, float[] v, int nq,
                       java.util.function.IntFunction<Boolean[]> mask, String what) {
        int hd = cfg.headDim(), nh = cfg.numHeads();
        boolean bf16Rounding;
        try (org.apbj.kernels.runtime.Device java = org.apbj.kernels.runtime.Devices.open("java");
             org.apbj.kernels.lib.KernelOps ops = new org.apbj.kernels.lib.KernelOps(java)) {
            bf16Rounding = ops.usesDecodeAttention(nq, nh, cfg.numKvHeads());
        }
        double outTol = 1e-4;
        if (bf16Rounding) {
            float qScale = (float) (1.0 / Math.sqrt(hd)) * 1.4426950408889634f;
            q = q.clone();
            for (int i = 0; i < q.length; i++) {
                q[i] = org.apbj.kernels.api.KernelMath.bf16ToFloat(org.apbj.kernels.api.KernelMath.floatToBf16(q[i] * qScale)) / qScale;
            }
            double maxV = 0;
            for (float x : v) maxV = Math.max(maxV, Math.abs(x));
            outTol += 0x1p-8 * maxV;
        }
        double[] o = new double[hd], l = new double[1];
        double worst = 0, worstLse = 0;
        for (int r = 0; r < nq; r++) {
            Boolean[] m = mask.apply(r);
            boolean[] vis = new boolean[m.length];
            for (int s = 0; s < m.length; s++) vis[s] = m[s];
            for (int h = 0; h < nh; h++) {
                expectedAttention(q, k, v, r, h, vis, o, l);
                for (int i = 0; i < hd; i++) worst = Math.max(worst, Math.abs(out[r * nh * hd + h * hd + i] - o[i]));
                worstLse = Math.max(worstLse, Math.abs(lse[r * nh + h] - l[0]));
            }
        }
        assertTrue(worst < outTol, what + ": out max |Δ| " + worst + " (tolerance " + outTol + ")");
        assertTrue(worstLse < 1e-4, what + ": lse max |Δ| " + worstLse);
    }

    @ParameterizedTest
    @ValueSource(strings = {"java", "opencl"})
    void topKPicksTheHighestScoresPerHeadAndGatherCopiesThoseRows(String spec) {
        withSteps(spec, (d, tf) -> {
            int n = 40, exclude = 6, k = 9, kvh = cfg.numKvHeads(), kvd = cfg.kvDim(), hd = cfg.headDim();
            float[] scores = randomFloats(n * kvh);
            float[] srcK = bf16(randomFloats((n + 3) * kvd)), srcV = bf16(randomFloats((n + 3) * kvd));
            int srcRow = 3, dstRow = 2;
            try (F32Array ds = d.upload(F32Array.fromArray(scores)); I32Array idx = d.allocI32((long) kvh * k);
                 BF16Array sk = d.upload(BF16Array.fromFloats(srcK)); BF16Array sv = d.upload(BF16Array.fromFloats(srcV));
                 BF16Array dk = d.allocBF16((long) (dstRow + k) * kvd); BF16Array dv = d.allocBF16((long) (dstRow + k) * kvd)) {
                tf.selectTopK(ds, n, exclude, k, idx);
                int[] got;
                try (I32Array h = I32Array.allocate((long) kvh * k)) {
                    d.copyOut(h, idx);
                    got = h.toArray();
                }
                for (int head = 0; head < kvh; head++) {
                    final int hh = head;
                    int[] want = IntStream.range(exclude, n).boxed()
                            .sorted((x, y) -> Float.compare(scores[y * kvh + hh], scores[x * kvh + hh]))
                            .limit(k).mapToInt(Integer::intValue).sorted().toArray();
                    int[] mine = Arrays.copyOfRange(got, head * k, (head + 1) * k);
                    Arrays.sort(mine);
                    assertEquals(Arrays.toString(want), Arrays.toString(mine), "top-" + k + " of head " + head);
                }
                tf.gatherKv(sk, sv, srcRow, idx, k, dk, dv, dstRow);
                float[] gk, gv;
                try (BF16Array h = BF16Array.allocate(dk.length())) {
                    d.copyOut(h, dk);
                    gk = new float[(int) h.length()];
                    for (int i = 0; i < gk.length; i++) gk[i] = h.getFloat(i);
                    d.copyOut(h, dv);
                    gv = new float[(int) h.length()];
                    for (int i = 0; i < gv.length; i++) gv[i] = h.getFloat(i);
                }
                for (int j = 0; j < k; j++) {
                    for (int c = 0; c < kvd; c++) {
                        int row = got[(c / hd) * k + j];
                        assertEquals(srcK[(srcRow + row) * kvd + c], gk[(dstRow + j) * kvd + c], 0f);
                        assertEquals(srcV[(srcRow + row) * kvd + c], gv[(dstRow + j) * kvd + c], 0f);
                    }
                }
            }
        });
    }
}
