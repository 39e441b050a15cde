package org.apbj.kernels.lib;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.Constant;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.KernelMath;

/**
 * Flash attention with the APB mask, returning the output and the log-sum-exp of every
 * (query, head) so partial results can be merged exactly ({@link LseMerge}).
 *
 * <p>Layouts (LayerSteps): q F32 [nq, nHeads·d]; k, v BF16 [p + a + b, nKvHeads·d] laid out as
 * [P ; A ; B]; out F32 [nq, nHeads·d]; lse F32 [nq, nHeads] (natural log of the scaled logits).
 * Query head h reads KV head {@code h / (nHeads / nKvHeads)} (GQA).
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
 * skipped. Grid: {@code Grid.of(ceil(nq/BQ)·THREADS, nHeads, THREADS, 1)}.
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
    private static final int ROWS = BQ / 16;
    private static final int COLS = BKV / 16;
    private static final int MAX_OUT_COLS = MAX_HEAD_DIM / 16;

    public static void attention(KernelContext ctx, F32Array out, F32Array lse, F32Array q, BF16Array k, BF16Array v,
                                 int nq, int p, int a, int b, @Constant boolean causal, int nHeads, int nKvHeads,
                                 @Constant int headDim, float scale) {
        int tid = ctx.localIdx;
        int tx = tid & 15;
        int ty = tid >> 4;
        int q0 = ctx.groupIdx * BQ;
        int h = ctx.groupIdy;
        int kvh = h / (nHeads / nKvHeads);
        int qStride = nHeads * headDim;
        int kvStride = nKvHeads * headDim;
        int nKeys = p + a + b;
        int outCols = headDim / 16;

        float[] qs = ctx.allocateFloatLocalArray(SLICE * QK_STRIDE);
        float[] ks = ctx.allocateFloatLocalArray(SLICE * QK_STRIDE);
        float[] ps = ctx.allocateFloatLocalArray(BQ * P_STRIDE);
        float[] vs = ctx.allocateFloatLocalArray(SLICE * MAX_HEAD_DIM);

        float[] s = new float[ROWS * COLS];
        float[] o = new float[ROWS * MAX_OUT_COLS];
        float[] m = new float[ROWS];
        float[] l = new float[ROWS];
        float[] qa = new float[ROWS];
        float[] kb = new float[COLS];
        float[] vb = new float[MAX_OUT_COLS];
        for (int i = 0; i < ROWS; i++) {
            m[i] = Float.NEGATIVE_INFINITY;
            l[i] = 0.0f;
            for (int j = 0; j < MAX_OUT_COLS; j++) o[i * MAX_OUT_COLS + j] = 0.0f;
        }

        // Keys any row of this group sees: [keyLo, keyEnd).
        int lastRow = KernelMath.min(q0 + BQ, nq) - 1;
        int keyLo = 0;
        int keyEnd = nKeys;
        if (causal) {
            keyLo = lastRow >= a ? 0 : p;
            keyEnd = KernelMath.min(p + lastRow + 1, nKeys);
        }
        int firstTile = keyLo - keyLo % BKV;

        for (int kt = firstTile; kt < keyEnd; kt += BKV) {
            // S = (scale·Q)·Kᵀ for this tile.
            for (int i = 0; i < ROWS * COLS; i++) s[i] = 0.0f;
            for (int c0 = 0; c0 < headDim; c0 += SLICE) {
                for (int e = tid; e < BQ * SLICE; e += THREADS) {
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
                for (int c = 0; c < SLICE; c++) {
                    for (int i = 0; i < ROWS; i++) qa[i] = qs[c * QK_STRIDE + ty + 16 * i];
                    for (int j = 0; j < COLS; j++) kb[j] = ks[c * QK_STRIDE + tx + 16 * j];
                    for (int i = 0; i < ROWS; i++) {
                        for (int j = 0; j < COLS; j++) s[i * COLS + j] = KernelMath.fma(qa[i], kb[j], s[i * COLS + j]);
                    }
                }
                ctx.localBarrier();
            }

            // Mask and online softmax; P into shared memory.
            for (int i = 0; i < ROWS; i++) {
                int row = ty + 16 * i;
                int gq = q0 + row;
                int lo = 0;
                int hi = nKeys - 1;
                if (causal) {
                    lo = gq < a ? p : 0;
                    hi = KernelMath.min(p + gq, nKeys - 1);
                }
                float tileMax = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < COLS; j++) {
                    int key = kt + tx + 16 * j;
                    if (key >= lo && key <= hi) tileMax = KernelMath.max(tileMax, s[i * COLS + j]);
                }
                tileMax = KernelMath.max(tileMax, ctx.shuffleXor(tileMax, 8));
                tileMax = KernelMath.max(tileMax, ctx.shuffleXor(tileMax, 4));
                tileMax = KernelMath.max(tileMax, ctx.shuffleXor(tileMax, 2));
                tileMax = KernelMath.max(tileMax, ctx.shuffleXor(tileMax, 1));
                float mNew = KernelMath.max(m[i], tileMax);
                float alpha = 1.0f;
                float rowSum = 0.0f;
                if (mNew != Float.NEGATIVE_INFINITY) {
                    alpha = KernelMath.exp(m[i] - mNew);
                    for (int j = 0; j < COLS; j++) {
                        int key = kt + tx + 16 * j;
                        float pv = 0.0f;
                        if (key >= lo && key <= hi) pv = KernelMath.exp(s[i * COLS + j] - mNew);
                        rowSum += pv;
                        ps[row * P_STRIDE + tx + 16 * j] = pv;
                    }
                } else {
                    for (int j = 0; j < COLS; j++) ps[row * P_STRIDE + tx + 16 * j] = 0.0f;
                }
                rowSum += ctx.shuffleXor(rowSum, 8);
                rowSum += ctx.shuffleXor(rowSum, 4);
                rowSum += ctx.shuffleXor(rowSum, 2);
                rowSum += ctx.shuffleXor(rowSum, 1);
                l[i] = l[i] * alpha + rowSum;
                m[i] = mNew;
                for (int j = 0; j < outCols; j++) o[i * MAX_OUT_COLS + j] *= alpha;
            }

            // O += P·V, V staged SLICE keys at a time.
            for (int k0 = 0; k0 < BKV; k0 += SLICE) {
                for (int e = tid; e < SLICE * headDim; e += THREADS) {
                    int key = e / headDim;
                    int c = e - key * headDim;
                    int gk = kt + k0 + key;
                    float vv = 0.0f;
                    if (gk < nKeys) vv = v.getFloat(gk * kvStride + kvh * headDim + c);
                    vs[key * headDim + c] = vv;
                }
                ctx.localBarrier();
                for (int key = 0; key < SLICE; key++) {
                    for (int i = 0; i < ROWS; i++) qa[i] = ps[(ty + 16 * i) * P_STRIDE + k0 + key];
                    for (int j = 0; j < outCols; j++) vb[j] = vs[key * headDim + tx + 16 * j];
                    for (int i = 0; i < ROWS; i++) {
                        for (int j = 0; j < outCols; j++) {
                            o[i * MAX_OUT_COLS + j] = KernelMath.fma(qa[i], vb[j], o[i * MAX_OUT_COLS + j]);
                        }
                    }
                }
                ctx.localBarrier();
            }
        }

        for (int i = 0; i < ROWS; i++) {
            int gq = q0 + ty + 16 * i;
            if (gq < nq) {
                float inv = l[i] > 0.0f ? 1.0f / l[i] : 0.0f;
                for (int j = 0; j < outCols; j++) {
                    out.set(gq * qStride + h * headDim + tx + 16 * j, o[i * MAX_OUT_COLS + j] * inv);
                }
                if (tx == 0) lse.set(gq * nHeads + h, l[i] > 0.0f ? m[i] + KernelMath.log(l[i]) : Float.NEGATIVE_INFINITY);
            }
        }
    }
}
