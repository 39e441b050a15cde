package org.apbj.model.kernels;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.KernelMath;

/**
 * Small kernels the transformer needs that the kernel library does not provide. Each is
 * written for clarity, one work-item per output element (or row), without barriers or shared
 * memory, so it runs unchanged on every backend. Launches pad the grid; every kernel guards its
 * index against the real element count.
 */
public final class ModelKernels {
    private ModelKernels() {}

    /** Largest head dim the attention kernel's private accumulator holds. */
    public static final int MAX_HEAD_DIM = 256;

    /** x[t, :] = table[tokens[t], :] widened to fp32; one work-item per element of x. */
    public static void embedRows(KernelContext ctx, I32Array tokens, BF16Array table, F32Array x, int n, int hidden) {
        int i = ctx.globalIdx;
        if (i < n * hidden) {
            int t = i / hidden;
            int c = i - t * hidden;
            x.set(i, KernelMath.bf16ToFloat(table.get(tokens.get(t) * hidden + c)));
        }
    }

    /** out[r, :] = x[r, :] · rsqrt(mean(x[r, :]²) + eps) · w; one work-item per row. */
    public static void rmsNormRows(KernelContext ctx, F32Array out, F32Array x, BF16Array w, int n, int hidden, float eps) {
        int r = ctx.globalIdx;
        if (r < n) {
            int base = r * hidden;
            float ss = 0f;
            for (int i = 0; i < hidden; i++) {
                float v = x.get(base + i);
                ss += v * v;
            }
            float scale = KernelMath.rsqrt(ss / hidden + eps);
            for (int i = 0; i < hidden; i++) {
                out.set(base + i, KernelMath.bf16ToFloat(w.get(i)) * (x.get(base + i) * scale));
            }
        }
    }

    /**
     * out[r, c] (+)= in[r, :] · w[c, :] + bias[c], w in nn.Linear layout [n, k]; one work-item
     * per output element. {@code accumulate} != 0 adds to out (residual connections),
     * {@code hasBias} == 0 ignores {@code bias}.
     */
    public static void linearF32(KernelContext ctx, F32Array out, F32Array in, BF16Array w, BF16Array bias,
                                 int rows, int k, int n, int hasBias, int accumulate) {
        int i = ctx.globalIdx;
        if (i < rows * n) {
            int r = i / n;
            int c = i - r * n;
            float s = 0f;
            int a = r * k;
            int b = c * k;
            for (int j = 0; j < k; j++) s += in.get(a + j) * KernelMath.bf16ToFloat(w.get(b + j));
            if (hasBias != 0) s += KernelMath.bf16ToFloat(bias.get(c));
            if (accumulate != 0) s += out.get(i);
            out.set(i, s);
        }
    }

    /** Like {@link #linearF32} without accumulation, rounded to bf16 into rows [outRow, outRow + rows) of out. */
    public static void linearBf16(KernelContext ctx, BF16Array out, int outRow, F32Array in, BF16Array w, BF16Array bias,
                                  int rows, int k, int n, int hasBias) {
        int i = ctx.globalIdx;
        if (i < rows * n) {
            int r = i / n;
            int c = i - r * n;
            float s = 0f;
            int a = r * k;
            int b = c * k;
            for (int j = 0; j < k; j++) s += in.get(a + j) * KernelMath.bf16ToFloat(w.get(b + j));
            if (hasBias != 0) s += KernelMath.bf16ToFloat(bias.get(c));
            out.set((outRow + r) * n + c, KernelMath.floatToBf16(s));
        }
    }

    /**
     * Rotate-half RoPE in place on fp32 rows [0, n) of a [*, heads·d] array, angle
     * positions[t]·invFreq[i] read from the tables cos/sin [maxPosition, d/2]; one work-item
     * per (row, head, i < d/2).
     */
    public static void ropeF32(KernelContext ctx, F32Array a, I32Array positions, F32Array cos, F32Array sin,
                               int n, int heads, int headDim) {
        int half = headDim / 2;
        int i = ctx.globalIdx;
        if (i < n * heads * half) {
            int t = i / (heads * half);
            int rest = i - t * heads * half;
            int h = rest / half;
            int j = rest - h * half;
            int tab = positions.get(t) * half + j;
            float c = cos.get(tab);
            float s = sin.get(tab);
            int base = t * heads * headDim + h * headDim;
            float x1 = a.get(base + j);
            float x2 = a.get(base + j + half);
            a.set(base + j, x1 * c - x2 * s);
            a.set(base + j + half, x2 * c + x1 * s);
        }
    }

    /** {@link #ropeF32} on bf16 rows [row0, row0 + n) (keys in a cache), computed in fp32. */
    public static void ropeBf16(KernelContext ctx, BF16Array a, int row0, I32Array positions, F32Array cos, F32Array sin,
                                int n, int heads, int headDim) {
        int half = headDim / 2;
        int i = ctx.globalIdx;
        if (i < n * heads * half) {
            int t = i / (heads * half);
            int rest = i - t * heads * half;
            int h = rest / half;
            int j = rest - h * half;
            int tab = positions.get(t) * half + j;
            float c = cos.get(tab);
            float s = sin.get(tab);
            int base = (row0 + t) * heads * headDim + h * headDim;
            float x1 = KernelMath.bf16ToFloat(a.get(base + j));
            float x2 = KernelMath.bf16ToFloat(a.get(base + j + half));
            a.set(base + j, KernelMath.floatToBf16(x1 * c - x2 * s));
            a.set(base + j + half, KernelMath.floatToBf16(x2 * c + x1 * s));
        }
    }

    /**
     * Attention with the [P ; A ; B] mask of LayerSteps.attention, one work-item per (query
     * row, head), online softmax in fp32. Query row r (of nq) and the keys it sees:
     * causal: r < a sees keys p .. p + r (anchor, causally); r >= a sees keys 0 .. p + r
     * (everything before it in P, A, B); not causal: all p + a + b keys.
     * lse = log Σ exp(q·k/√d) in natural log.
     */
    public static void attentionRows(KernelContext ctx, F32Array q, BF16Array k, BF16Array v, F32Array out, F32Array lse,
                                     int nq, int p, int a, int b, int causal, int heads, int kvHeads, int headDim,
                                     float scale) {
        int i = ctx.globalIdx;
        if (i < nq * heads) {
            int r = i / heads;
            int h = i - r * heads;
            int kvh = h / (heads / kvHeads);
            int kvd = kvHeads * headDim;
            int first = 0;
            int last = p + a + b - 1;
            if (causal != 0) {
                if (r < a) {
                    first = p;
                }
                last = p + r;
            }
            float[] acc = new float[MAX_HEAD_DIM];
            for (int j = 0; j < headDim; j++) acc[j] = 0f;
            float max = Float.NEGATIVE_INFINITY;
            float sum = 0f;
            int qo = r * heads * headDim + h * headDim;
            for (int s = first; s <= last; s++) {
                int ko = s * kvd + kvh * headDim;
                float dot = 0f;
                for (int j = 0; j < headDim; j++) dot += q.get(qo + j) * KernelMath.bf16ToFloat(k.get(ko + j));
                float logit = dot * scale;
                if (logit > max) {
                    float correction = KernelMath.exp(max - logit);
                    sum = sum * correction;
                    for (int j = 0; j < headDim; j++) acc[j] = acc[j] * correction;
                    max = logit;
                }
                float e = KernelMath.exp(logit - max);
                sum += e;
                for (int j = 0; j < headDim; j++) acc[j] += e * KernelMath.bf16ToFloat(v.get(ko + j));
            }
            float inv = 1f / sum;
            for (int j = 0; j < headDim; j++) out.set(qo + j, acc[j] * inv);
            lse.set(r * heads + h, max + KernelMath.log(sum));
        }
    }

    /**
     * Exact merge of two partial attentions over disjoint key sets, in place into A; one
     * work-item per (row, head): with w = sigmoid(lseB − lseA), outA ← outA − w·(outA − outB),
     * lseA ← lseA + log1p(exp(lseB − lseA)) written stably.
     */
    public static void mergeAttentionRows(KernelContext ctx, F32Array outA, F32Array lseA, F32Array outB, F32Array lseB,
                                          int nq, int heads, int headDim) {
        int i = ctx.globalIdx;
        if (i < nq * heads) {
            float la = lseA.get(i);
            float lb = lseB.get(i);
            float mx = KernelMath.max(la, lb);
            float mn = KernelMath.min(la, lb);
            float merged = mx + KernelMath.log(1f + KernelMath.exp(mn - mx));
            float wb = KernelMath.exp(lb - merged);
            int base = i * headDim;
            for (int j = 0; j < headDim; j++) {
                float oa = outA.get(base + j);
                outA.set(base + j, oa - wb * (oa - outB.get(base + j)));
            }
            lseA.set(i, merged);
        }
    }

    /** gate[i] = silu(gate[i]) · up[i]. */
    public static void swiglu(KernelContext ctx, F32Array gate, F32Array up, int count) {
        int i = ctx.globalIdx;
        if (i < count) gate.set(i, KernelMath.silu(gate.get(i)) * up.get(i));
    }

    /** x[i] = silu(x[i]). */
    public static void siluInPlace(KernelContext ctx, F32Array x, int count) {
        int i = ctx.globalIdx;
        if (i < count) x.set(i, KernelMath.silu(x.get(i)));
    }

    /**
     * out[t, :] = concat(q[t, :], k[kvRow + t, :], v[kvRow + t, :]) in fp32, the retaining heads'
     * input; one work-item per output element.
     */
    public static void concatQkv(KernelContext ctx, F32Array out, F32Array q, BF16Array k, BF16Array v, int kvRow,
                                 int n, int qDim, int kvDim) {
        int width = qDim + 2 * kvDim;
        int i = ctx.globalIdx;
        if (i < n * width) {
            int t = i / width;
            int c = i - t * width;
            float val;
            if (c < qDim) {
                val = q.get(t * qDim + c);
            } else if (c < qDim + kvDim) {
                val = KernelMath.bf16ToFloat(k.get((kvRow + t) * kvDim + c - qDim));
            } else {
                val = KernelMath.bf16ToFloat(v.get((kvRow + t) * kvDim + c - qDim - kvDim));
            }
            out.set(i, val);
        }
    }

    /** out[t, c] = max of in[s, c] over s in [t − half, t + half] ∩ [0, n); one work-item per element. */
    public static void maxPoolRows(KernelContext ctx, F32Array out, F32Array in, int n, int cols, int half) {
        int i = ctx.globalIdx;
        if (i < n * cols) {
            int t = i / cols;
            int c = i - t * cols;
            int lo = KernelMath.max(0, t - half);
            int hi = KernelMath.min(n - 1, t + half);
            float m = Float.NEGATIVE_INFINITY;
            for (int s = lo; s <= hi; s++) m = KernelMath.max(m, in.get(s * cols + c));
            out.set(i, m);
        }
    }

    /**
     * Per column h of scores [n, cols], the rows of rank < k (rank: how many rows beat it, ties
     * going to the lower row), rows [0, excludeFirst) left out; writes the row at
     * indices[h·k + rank]. One work-item per (row, column), O(n) each.
     */
    public static void topKByRank(KernelContext ctx, F32Array scores, I32Array indices, int n, int cols, int excludeFirst,
                                  int k) {
        int i = ctx.globalIdx;
        if (i < n * cols) {
            int t = i / cols;
            int c = i - t * cols;
            if (t >= excludeFirst) {
                float mine = scores.get(t * cols + c);
                int rank = 0;
                for (int s = excludeFirst; s < n && rank < k; s++) {
                    float other = scores.get(s * cols + c);
                    if (other > mine || (other == mine && s < t)) rank++;
                }
                if (rank < k) indices.set(c * k + rank, t);
            }
        }
    }

    /**
     * dst rows [dstRow + j] of head h ← src rows [srcRow + indices[h·k + j]] of head h, for K and
     * V; one work-item per (j, h, dim).
     */
    public static void gatherKvRows(KernelContext ctx, BF16Array srcK, BF16Array srcV, int srcRow, I32Array indices,
                                    int k, BF16Array dstK, BF16Array dstV, int dstRow, int kvHeads, int headDim) {
        int kvd = kvHeads * headDim;
        int i = ctx.globalIdx;
        if (i < k * kvd) {
            int j = i / kvd;
            int c = i - j * kvd;
            int h = c / headDim;
            int src = (srcRow + indices.get(h * k + j)) * kvd + c;
            int dst = (dstRow + j) * kvd + c;
            dstK.set(dst, srcK.get(src));
            dstV.set(dst, srcV.get(src));
        }
    }
}
