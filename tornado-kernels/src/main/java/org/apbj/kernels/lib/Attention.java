package org.apbj.kernels.lib;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.Constant;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.KernelMath;
import org.apbj.kernels.api.Unroll;

/**
 * Flash attention with the APB mask, returning the output and the log-sum-exp of every
 * (query, head) so partial results can be merged exactly ({@link LseMerge}).
 *
 * <p>Layouts (LayerSteps): q F32 [nq, nHeads·d]; k, v BF16 [p + a + b, nKvHeads·d] laid out as
 * [P ; A ; B]; out F32 [nq, nHeads·d]; lse F32 [nq, nHeads] (natural log of the scaled logits).
 * Query head h reads KV head {@code h / (nHeads / nKvHeads)} (GQA). Head dims 64 and 128.
 *
 * <p>Mask, with {@code causal}: the queries are [A ; B] (nq = a + b); query row r sees keys
 * [lo, p + r] with lo = p for anchor rows (r &lt; a) and lo = 0 for B rows, i.e. an anchor row
 * sees A causally and a B row sees P, A and B causally (p = a = 0: plain causal). Without
 * {@code causal} every query sees all p + a + b keys. A row that sees no key gets out = 0 and
 * lse = -inf.
 *
 * <p>Work split: one group of {@link #THREADS} per ({@link #BQ} queries, head); keys stream in
 * tiles of {@link #BKV}. S = Q·Kᵀ is a register-tiled product over 16-wide slices of d staged in
 * shared memory; the online softmax (running max and sum in fp32) runs in registers with
 * 16-lane shuffles; P goes through shared memory into O += P·V, V staged 16 keys at a time.
 * Work-item (tx, ty) owns query rows ty + 16·i (i &lt; 4), score columns tx + 16·j (j &lt; 4)
 * and output columns tx + 16·j (j &lt; d/16). Key tiles that no row of the group sees are
 * skipped. Grid: {@code Grid.of(ceil(nq/BQ)·THREADS, nHeads, splits, THREADS, 1, 1)}.
 *
 * <p>Split over keys (flash-decoding, for few query rows and many keys): group z of the third
 * grid dimension sees only keys [z·keysPerSplit, (z+1)·keysPerSplit) and writes its partial
 * result to {@code out}/{@code lse} at offset z·(nq·nHeads·d) / z·(nq·nHeads); {@link
 * #mergeSplits} then combines the partials. One split with keysPerSplit ≥ p + a + b is the
 * plain kernel.
 *
 * <p>The per-work-item state (scores, output accumulators, running max and sum) is in private
 * arrays that only {@link Unroll} helpers index (one d-column of S, one key of P·V, the softmax
 * of a tile, the epilogue), with constant indices after unrolling: registers.
 */
public final class Attention {
    private Attention() {}

    public static final int BQ = 64;
    public static final int BKV = 64;
    public static final int THREADS = 256;
    public static final int MAX_HEAD_DIM = 128;
    /** Width of the d-slices of Q and K staged for S, and the key count of a staged V slice. */
    private static final int SLICE = 16;
    private static final int QK_STRIDE = BQ + 1;
    private static final int P_STRIDE = BKV + 1;

    /** Whether {@link #attention} supports this head dim. */
    public static boolean supportsHeadDim(int headDim) { return headDim == 64 || headDim == 128; }

    public static void attention(KernelContext ctx, F32Array out, F32Array lse, F32Array q, BF16Array k, BF16Array v,
                                 int nq, int p, int a, int b, @Constant boolean causal, int nHeads, int nKvHeads,
                                 @Constant int headDim, float scale, int keysPerSplit) {
        int tid = ctx.localIdx;
        int tx = tid & 15;
        int ty = tid >> 4;
        int q0 = ctx.groupIdx * BQ;
        int h = ctx.groupIdy;
        int kvh = h / (nHeads / nKvHeads);
        int qStride = nHeads * headDim;
        int kvStride = nKvHeads * headDim;
        int nKeys = p + a + b;
        int split = ctx.groupIdz;
        int outBase = split * nq * qStride;
        int lseBase = split * nq * nHeads;

        float[] qs = ctx.allocateFloatLocalArray(SLICE * QK_STRIDE);
        float[] ks = ctx.allocateFloatLocalArray(SLICE * QK_STRIDE);
        float[] ps = ctx.allocateFloatLocalArray(BQ * P_STRIDE);
        float[] vs = ctx.allocateFloatLocalArray(SLICE * MAX_HEAD_DIM);
        // Per-row running max / sum and the output accumulators; private arrays indexed only in
        // @Unroll helpers (constant indices), so they are registers.
        float[] m = new float[ROWS];
        float[] l = new float[ROWS];
        float[] o = new float[ROWS * MAX_COLS];   // row i, column tx + 16j at MAX_COLS·i + j
        float[] qa = new float[ROWS];
        float[] kb = new float[COLS];
        float[] vb = new float[MAX_COLS];
        initMax(m);

        // Keys any row of this group sees: [keyLo, keyEnd).
        int lastRow = KernelMath.min(q0 + BQ, nq) - 1;
        int keyLo = 0;
        int keyEnd = nKeys;
        if (causal) {
            keyLo = lastRow >= a ? 0 : p;
            keyEnd = KernelMath.min(p + lastRow + 1, nKeys);
        }
        keyLo = KernelMath.max(keyLo, split * keysPerSplit);
        keyEnd = KernelMath.min(keyEnd, (split + 1) * keysPerSplit);
        int firstTile = keyLo - keyLo % BKV;

        for (int kt = firstTile; kt < keyEnd; kt += BKV) {
            // S = (scale·Q)·Kᵀ for this tile, over d in slices of 16 staged in shared memory.
            float[] s = new float[ROWS * COLS];   // row i, key tx + 16j at COLS·i + j
            for (int c0 = 0; c0 < headDim; c0 += SLICE) {
                for (int e = tid; e < BQ * SLICE; e += THREADS) {   // BQ == BKV: r is a query row and a key
                    int r = e >> 4;
                    int c = e & 15;
                    int gq = q0 + r;
                    float qv = 0.0f;
                    if (gq < nq) qv = q.get(gq * qStride + h * headDim + c0 + c) * scale;
                    qs[c * QK_STRIDE + r] = qv;
                    int gk = kt + r;
                    float kv = 0.0f;
                    if (gk < nKeys) kv = k.getFloat(gk * kvStride + kvh * headDim + c0 + c);
                    ks[c * QK_STRIDE + r] = kv;
                }
                ctx.localBarrier();
                for (int c = 0; c < SLICE; c++) scoreStep(qs, ks, c * QK_STRIDE, tx, ty, qa, kb, s);
                ctx.localBarrier();
            }

            // Mask and online softmax per row; P into shared memory, O rescaled.
            softmax(ctx, s, m, l, o, ps, q0, tx, ty, kt, p, a, nKeys, causal, headDim);

            // O += P·V, V staged SLICE keys at a time.
            for (int k0 = 0; k0 < BKV; k0 += SLICE) {
                for (int e = tid; e < SLICE * headDim; e += THREADS) {
                    int key = e / headDim;
                    int c = e - key * headDim;
                    int gk = kt + k0 + key;
                    float vv = 0.0f;
                    if (gk < nKeys) vv = v.getFloat(gk * kvStride + kvh * headDim + c);
                    vs[e] = vv;
                }
                ctx.localBarrier();
                for (int key = 0; key < SLICE; key++) {
                    valueStep(ps, vs, k0 + key, key * headDim + tx, ty, qa, vb, o, headDim);
                }
                ctx.localBarrier();
            }
        }

        store(out, lse, m, l, o, q0, tx, ty, nq, nHeads, h, outBase, lseBase, qStride, headDim);
    }

    /** Query rows per work-item (ty + 16·i), score columns per work-item (tx + 16·j). */
    private static final int ROWS = BQ / 16;
    private static final int COLS = BKV / 16;
    /** Output columns per work-item at the largest head dim (tx + 16·j, j &lt; headDim / 16). */
    private static final int MAX_COLS = MAX_HEAD_DIM / 16;

    @Unroll
    private static void initMax(float[] m) {
        for (int i = 0; i < ROWS; i++) m[i] = Float.NEGATIVE_INFINITY;
    }

    /** One d-column of the staged slices: the ROWS×COLS outer product of this work-item's q and k values, added to s. */
    @Unroll
    private static void scoreStep(float[] qs, float[] ks, int at, int tx, int ty, float[] qa, float[] kb, float[] s) {
        for (int i = 0; i < ROWS; i++) qa[i] = qs[at + ty + 16 * i];
        for (int j = 0; j < COLS; j++) kb[j] = ks[at + tx + 16 * j];
        for (int i = 0; i < ROWS; i++) {
            for (int j = 0; j < COLS; j++) s[COLS * i + j] = KernelMath.fma(qa[i], kb[j], s[COLS * i + j]);
        }
    }

    /**
     * For each of this work-item's rows: the mask, the new running max (over the 16 lanes of the
     * row), P = e^(S − max) into shared memory, the running sum, and O rescaled by e^(old − new max).
     */
    @Unroll
    private static void softmax(KernelContext ctx, float[] s, float[] m, float[] l, float[] o, float[] ps, int q0,
                                int tx, int ty, int kt, int p, int a, int nKeys, boolean causal, int headDim) {
        for (int i = 0; i < ROWS; i++) {
            int gq = q0 + ty + 16 * i;
            int lo = 0;
            int hi = nKeys - 1;
            if (causal) {
                lo = gq < a ? p : 0;
                hi = KernelMath.min(p + gq, nKeys - 1);
            }
            int key0 = kt + tx;
            float tileMax = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < COLS; j++) tileMax = maskedMax(tileMax, s[COLS * i + j], key0 + 16 * j, lo, hi);
            float mNew = KernelMath.max(m[i], rowMax16(ctx, tileMax));
            float alpha = 1.0f;
            float rowSum = 0.0f;
            int pRow = (ty + 16 * i) * P_STRIDE + tx;
            if (mNew != Float.NEGATIVE_INFINITY) {
                alpha = KernelMath.exp(m[i] - mNew);
                for (int j = 0; j < COLS; j++) {
                    float pj = maskedExp(s[COLS * i + j], key0 + 16 * j, lo, hi, mNew);
                    ps[pRow + 16 * j] = pj;
                    rowSum += pj;
                }
            } else {
                for (int j = 0; j < COLS; j++) ps[pRow + 16 * j] = 0.0f;
            }
            l[i] = l[i] * alpha + rowSum16(ctx, rowSum);
            m[i] = mNew;
            for (int j = 0; j < headDim / 16; j++) o[MAX_COLS * i + j] *= alpha;
        }
    }

    /** One key of the staged V slice: O[i][j] += P[row i][key] · V[key][tx + 16j]. */
    @Unroll
    private static void valueStep(float[] ps, float[] vs, int key, int vAt, int ty, float[] pa, float[] vb, float[] o,
                                  int headDim) {
        for (int i = 0; i < ROWS; i++) pa[i] = ps[(ty + 16 * i) * P_STRIDE + key];
        for (int j = 0; j < headDim / 16; j++) vb[j] = vs[vAt + 16 * j];
        for (int i = 0; i < ROWS; i++) {
            for (int j = 0; j < headDim / 16; j++) o[MAX_COLS * i + j] = KernelMath.fma(pa[i], vb[j], o[MAX_COLS * i + j]);
        }
    }

    /** Normalise and store; a row that saw no key gets out = 0 and lse = -inf. */
    @Unroll
    private static void store(F32Array out, F32Array lse, float[] m, float[] l, float[] o, int q0, int tx, int ty,
                              int nq, int nHeads, int h, int outBase, int lseBase, int qStride, int headDim) {
        for (int i = 0; i < ROWS; i++) {
            int gq = q0 + ty + 16 * i;
            if (gq < nq) {
                float inv = l[i] > 0.0f ? 1.0f / l[i] : 0.0f;
                int at = outBase + gq * qStride + h * headDim + tx;
                for (int j = 0; j < headDim / 16; j++) out.set(at + 16 * j, o[MAX_COLS * i + j] * inv);
                if (tx == 0) lse.set(lseBase + gq * nHeads + h, l[i] > 0.0f ? m[i] + KernelMath.log(l[i]) : Float.NEGATIVE_INFINITY);
            }
        }
    }

    /**
     * Combines the {@code splits} partial results of a split launch of {@link #attention}
     * (partOut F32 [splits, nq, nHeads·d], partLse F32 [splits, nq, nHeads]) into out and lse:
     * weights e^(lse_z − max), out = Σ w_z·out_z / Σ w_z, lse = max + log Σ w_z; splits that saw
     * no key (lse = −inf) weigh 0, and a row no split saw gets out = 0, lse = −inf.
     * Grid: 1-D, any size (grid-stride loop over nq·nHeads·d).
     */
    public static void mergeSplits(KernelContext ctx, F32Array out, F32Array lse, F32Array partOut, F32Array partLse,
                                   int splits, int nq, int nHeads, @Constant int headDim) {
        int rowHeads = nq * nHeads;
        int total = rowHeads * headDim;
        for (int e = ctx.globalIdx; e < total; e += ctx.globalGroupSizeX) {
            int rh = e / headDim;
            float max = Float.NEGATIVE_INFINITY;
            for (int z = 0; z < splits; z++) max = KernelMath.max(max, partLse.get(z * rowHeads + rh));
            float weights = 0.0f;
            float acc = 0.0f;
            if (max != Float.NEGATIVE_INFINITY) {
                for (int z = 0; z < splits; z++) {
                    float wz = KernelMath.exp(partLse.get(z * rowHeads + rh) - max);
                    weights += wz;
                    acc = KernelMath.fma(wz, partOut.get(z * total + e), acc);
                }
            }
            out.set(e, weights > 0.0f ? acc / weights : 0.0f);
            if (e - rh * headDim == 0) lse.set(rh, weights > 0.0f ? max + KernelMath.log(weights) : Float.NEGATIVE_INFINITY);
        }
    }

    /** max(running, s) if key lies in [lo, hi], else running. */
    private static float maskedMax(float running, float s, int key, int lo, int hi) {
        return key >= lo && key <= hi ? KernelMath.max(running, s) : running;
    }

    /** e^(s − max) if key lies in [lo, hi], else 0. */
    private static float maskedExp(float s, int key, int lo, int hi, float max) {
        return key >= lo && key <= hi ? KernelMath.exp(s - max) : 0.0f;
    }

    /** Max over the 16 lanes that share a row (lanes differ in their low 4 bits). */
    private static float rowMax16(KernelContext ctx, float v) {
        v = KernelMath.max(v, ctx.shuffleXor(v, 8));
        v = KernelMath.max(v, ctx.shuffleXor(v, 4));
        v = KernelMath.max(v, ctx.shuffleXor(v, 2));
        return KernelMath.max(v, ctx.shuffleXor(v, 1));
    }

    /** Sum over the 16 lanes that share a row. */
    private static float rowSum16(KernelContext ctx, float v) {
        v += ctx.shuffleXor(v, 8);
        v += ctx.shuffleXor(v, 4);
        v += ctx.shuffleXor(v, 2);
        return v + ctx.shuffleXor(v, 1);
    }
}
