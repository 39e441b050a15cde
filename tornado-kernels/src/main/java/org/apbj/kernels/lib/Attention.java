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
 * <p>The per-work-item state is written out as scalars (o00..o37, s00..s33, m0..m3, l0..l3):
 * with indexed private arrays ptxas kept it in local memory. Generated text, regular by design.
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
        // Per-row running max / sum and the output accumulators, all in registers (scalars, so
        // ptxas never has to place an indexed private array in local memory).
        float m0 = Float.NEGATIVE_INFINITY, l0 = 0.0f;
        float m1 = Float.NEGATIVE_INFINITY, l1 = 0.0f;
        float m2 = Float.NEGATIVE_INFINITY, l2 = 0.0f;
        float m3 = Float.NEGATIVE_INFINITY, l3 = 0.0f;
        float o00 = 0.0f, o01 = 0.0f, o02 = 0.0f, o03 = 0.0f, o04 = 0.0f, o05 = 0.0f, o06 = 0.0f, o07 = 0.0f;
        float o10 = 0.0f, o11 = 0.0f, o12 = 0.0f, o13 = 0.0f, o14 = 0.0f, o15 = 0.0f, o16 = 0.0f, o17 = 0.0f;
        float o20 = 0.0f, o21 = 0.0f, o22 = 0.0f, o23 = 0.0f, o24 = 0.0f, o25 = 0.0f, o26 = 0.0f, o27 = 0.0f;
        float o30 = 0.0f, o31 = 0.0f, o32 = 0.0f, o33 = 0.0f, o34 = 0.0f, o35 = 0.0f, o36 = 0.0f, o37 = 0.0f;

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
            float s00 = 0.0f, s01 = 0.0f, s02 = 0.0f, s03 = 0.0f;
            float s10 = 0.0f, s11 = 0.0f, s12 = 0.0f, s13 = 0.0f;
            float s20 = 0.0f, s21 = 0.0f, s22 = 0.0f, s23 = 0.0f;
            float s30 = 0.0f, s31 = 0.0f, s32 = 0.0f, s33 = 0.0f;
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
                for (int c = 0; c < SLICE; c++) {
                    int at = c * QK_STRIDE;
                    float qa0 = qs[at + ty + 0], qa1 = qs[at + ty + 16], qa2 = qs[at + ty + 32], qa3 = qs[at + ty + 48];
                    float kb0 = ks[at + tx + 0], kb1 = ks[at + tx + 16], kb2 = ks[at + tx + 32], kb3 = ks[at + tx + 48];
                    s00 = KernelMath.fma(qa0, kb0, s00);
                    s01 = KernelMath.fma(qa0, kb1, s01);
                    s02 = KernelMath.fma(qa0, kb2, s02);
                    s03 = KernelMath.fma(qa0, kb3, s03);
                    s10 = KernelMath.fma(qa1, kb0, s10);
                    s11 = KernelMath.fma(qa1, kb1, s11);
                    s12 = KernelMath.fma(qa1, kb2, s12);
                    s13 = KernelMath.fma(qa1, kb3, s13);
                    s20 = KernelMath.fma(qa2, kb0, s20);
                    s21 = KernelMath.fma(qa2, kb1, s21);
                    s22 = KernelMath.fma(qa2, kb2, s22);
                    s23 = KernelMath.fma(qa2, kb3, s23);
                    s30 = KernelMath.fma(qa3, kb0, s30);
                    s31 = KernelMath.fma(qa3, kb1, s31);
                    s32 = KernelMath.fma(qa3, kb2, s32);
                    s33 = KernelMath.fma(qa3, kb3, s33);
                }
                ctx.localBarrier();
            }

            // Mask and online softmax per row; P into shared memory, O rescaled.
            {
                int gq = q0 + ty + 0;
                int lo = 0;
                int hi = nKeys - 1;
                if (causal) {
                    lo = gq < a ? p : 0;
                    hi = KernelMath.min(p + gq, nKeys - 1);
                }
                int key0 = kt + tx;
                float tileMax = maskedMax(maskedMax(maskedMax(maskedMax(Float.NEGATIVE_INFINITY, s00, key0, lo, hi), s01, key0 + 16, lo, hi), s02, key0 + 32, lo, hi), s03, key0 + 48, lo, hi);
                float mNew = KernelMath.max(m0, rowMax16(ctx, tileMax));
                float alpha = 1.0f;
                float p0 = 0.0f, p1 = 0.0f, p2 = 0.0f, p3 = 0.0f;
                if (mNew != Float.NEGATIVE_INFINITY) {
                    alpha = KernelMath.exp(m0 - mNew);
                    p0 = maskedExp(s00, key0 + 0, lo, hi, mNew);
                    p1 = maskedExp(s01, key0 + 16, lo, hi, mNew);
                    p2 = maskedExp(s02, key0 + 32, lo, hi, mNew);
                    p3 = maskedExp(s03, key0 + 48, lo, hi, mNew);
                }
                int pRow = (ty + 0) * P_STRIDE + tx;
                ps[pRow + 0] = p0;
                ps[pRow + 16] = p1;
                ps[pRow + 32] = p2;
                ps[pRow + 48] = p3;
                l0 = l0 * alpha + rowSum16(ctx, p0 + p1 + p2 + p3);
                m0 = mNew;
                o00 *= alpha; o01 *= alpha; o02 *= alpha; o03 *= alpha;
                if (headDim == 128) {
                    o04 *= alpha; o05 *= alpha; o06 *= alpha; o07 *= alpha;
                }
            }
            {
                int gq = q0 + ty + 16;
                int lo = 0;
                int hi = nKeys - 1;
                if (causal) {
                    lo = gq < a ? p : 0;
                    hi = KernelMath.min(p + gq, nKeys - 1);
                }
                int key0 = kt + tx;
                float tileMax = maskedMax(maskedMax(maskedMax(maskedMax(Float.NEGATIVE_INFINITY, s10, key0, lo, hi), s11, key0 + 16, lo, hi), s12, key0 + 32, lo, hi), s13, key0 + 48, lo, hi);
                float mNew = KernelMath.max(m1, rowMax16(ctx, tileMax));
                float alpha = 1.0f;
                float p0 = 0.0f, p1 = 0.0f, p2 = 0.0f, p3 = 0.0f;
                if (mNew != Float.NEGATIVE_INFINITY) {
                    alpha = KernelMath.exp(m1 - mNew);
                    p0 = maskedExp(s10, key0 + 0, lo, hi, mNew);
                    p1 = maskedExp(s11, key0 + 16, lo, hi, mNew);
                    p2 = maskedExp(s12, key0 + 32, lo, hi, mNew);
                    p3 = maskedExp(s13, key0 + 48, lo, hi, mNew);
                }
                int pRow = (ty + 16) * P_STRIDE + tx;
                ps[pRow + 0] = p0;
                ps[pRow + 16] = p1;
                ps[pRow + 32] = p2;
                ps[pRow + 48] = p3;
                l1 = l1 * alpha + rowSum16(ctx, p0 + p1 + p2 + p3);
                m1 = mNew;
                o10 *= alpha; o11 *= alpha; o12 *= alpha; o13 *= alpha;
                if (headDim == 128) {
                    o14 *= alpha; o15 *= alpha; o16 *= alpha; o17 *= alpha;
                }
            }
            {
                int gq = q0 + ty + 32;
                int lo = 0;
                int hi = nKeys - 1;
                if (causal) {
                    lo = gq < a ? p : 0;
                    hi = KernelMath.min(p + gq, nKeys - 1);
                }
                int key0 = kt + tx;
                float tileMax = maskedMax(maskedMax(maskedMax(maskedMax(Float.NEGATIVE_INFINITY, s20, key0, lo, hi), s21, key0 + 16, lo, hi), s22, key0 + 32, lo, hi), s23, key0 + 48, lo, hi);
                float mNew = KernelMath.max(m2, rowMax16(ctx, tileMax));
                float alpha = 1.0f;
                float p0 = 0.0f, p1 = 0.0f, p2 = 0.0f, p3 = 0.0f;
                if (mNew != Float.NEGATIVE_INFINITY) {
                    alpha = KernelMath.exp(m2 - mNew);
                    p0 = maskedExp(s20, key0 + 0, lo, hi, mNew);
                    p1 = maskedExp(s21, key0 + 16, lo, hi, mNew);
                    p2 = maskedExp(s22, key0 + 32, lo, hi, mNew);
                    p3 = maskedExp(s23, key0 + 48, lo, hi, mNew);
                }
                int pRow = (ty + 32) * P_STRIDE + tx;
                ps[pRow + 0] = p0;
                ps[pRow + 16] = p1;
                ps[pRow + 32] = p2;
                ps[pRow + 48] = p3;
                l2 = l2 * alpha + rowSum16(ctx, p0 + p1 + p2 + p3);
                m2 = mNew;
                o20 *= alpha; o21 *= alpha; o22 *= alpha; o23 *= alpha;
                if (headDim == 128) {
                    o24 *= alpha; o25 *= alpha; o26 *= alpha; o27 *= alpha;
                }
            }
            {
                int gq = q0 + ty + 48;
                int lo = 0;
                int hi = nKeys - 1;
                if (causal) {
                    lo = gq < a ? p : 0;
                    hi = KernelMath.min(p + gq, nKeys - 1);
                }
                int key0 = kt + tx;
                float tileMax = maskedMax(maskedMax(maskedMax(maskedMax(Float.NEGATIVE_INFINITY, s30, key0, lo, hi), s31, key0 + 16, lo, hi), s32, key0 + 32, lo, hi), s33, key0 + 48, lo, hi);
                float mNew = KernelMath.max(m3, rowMax16(ctx, tileMax));
                float alpha = 1.0f;
                float p0 = 0.0f, p1 = 0.0f, p2 = 0.0f, p3 = 0.0f;
                if (mNew != Float.NEGATIVE_INFINITY) {
                    alpha = KernelMath.exp(m3 - mNew);
                    p0 = maskedExp(s30, key0 + 0, lo, hi, mNew);
                    p1 = maskedExp(s31, key0 + 16, lo, hi, mNew);
                    p2 = maskedExp(s32, key0 + 32, lo, hi, mNew);
                    p3 = maskedExp(s33, key0 + 48, lo, hi, mNew);
                }
                int pRow = (ty + 48) * P_STRIDE + tx;
                ps[pRow + 0] = p0;
                ps[pRow + 16] = p1;
                ps[pRow + 32] = p2;
                ps[pRow + 48] = p3;
                l3 = l3 * alpha + rowSum16(ctx, p0 + p1 + p2 + p3);
                m3 = mNew;
                o30 *= alpha; o31 *= alpha; o32 *= alpha; o33 *= alpha;
                if (headDim == 128) {
                    o34 *= alpha; o35 *= alpha; o36 *= alpha; o37 *= alpha;
                }
            }

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
                    float pa0 = ps[(ty + 0) * P_STRIDE + k0 + key], pa1 = ps[(ty + 16) * P_STRIDE + k0 + key], pa2 = ps[(ty + 32) * P_STRIDE + k0 + key], pa3 = ps[(ty + 48) * P_STRIDE + k0 + key];
                    int vAt = key * headDim + tx;
                    float vb0 = vs[vAt + 0], vb1 = vs[vAt + 16], vb2 = vs[vAt + 32], vb3 = vs[vAt + 48];
                    o00 = KernelMath.fma(pa0, vb0, o00);
                    o01 = KernelMath.fma(pa0, vb1, o01);
                    o02 = KernelMath.fma(pa0, vb2, o02);
                    o03 = KernelMath.fma(pa0, vb3, o03);
                    o10 = KernelMath.fma(pa1, vb0, o10);
                    o11 = KernelMath.fma(pa1, vb1, o11);
                    o12 = KernelMath.fma(pa1, vb2, o12);
                    o13 = KernelMath.fma(pa1, vb3, o13);
                    o20 = KernelMath.fma(pa2, vb0, o20);
                    o21 = KernelMath.fma(pa2, vb1, o21);
                    o22 = KernelMath.fma(pa2, vb2, o22);
                    o23 = KernelMath.fma(pa2, vb3, o23);
                    o30 = KernelMath.fma(pa3, vb0, o30);
                    o31 = KernelMath.fma(pa3, vb1, o31);
                    o32 = KernelMath.fma(pa3, vb2, o32);
                    o33 = KernelMath.fma(pa3, vb3, o33);
                    if (headDim == 128) {
                        float vb4 = vs[vAt + 64], vb5 = vs[vAt + 80], vb6 = vs[vAt + 96], vb7 = vs[vAt + 112];
                        o04 = KernelMath.fma(pa0, vb4, o04);
                        o05 = KernelMath.fma(pa0, vb5, o05);
                        o06 = KernelMath.fma(pa0, vb6, o06);
                        o07 = KernelMath.fma(pa0, vb7, o07);
                        o14 = KernelMath.fma(pa1, vb4, o14);
                        o15 = KernelMath.fma(pa1, vb5, o15);
                        o16 = KernelMath.fma(pa1, vb6, o16);
                        o17 = KernelMath.fma(pa1, vb7, o17);
                        o24 = KernelMath.fma(pa2, vb4, o24);
                        o25 = KernelMath.fma(pa2, vb5, o25);
                        o26 = KernelMath.fma(pa2, vb6, o26);
                        o27 = KernelMath.fma(pa2, vb7, o27);
                        o34 = KernelMath.fma(pa3, vb4, o34);
                        o35 = KernelMath.fma(pa3, vb5, o35);
                        o36 = KernelMath.fma(pa3, vb6, o36);
                        o37 = KernelMath.fma(pa3, vb7, o37);
                    }
                }
                ctx.localBarrier();
            }
        }

        // Normalise and store; a row that saw no key gets out = 0 and lse = -inf.
        {
            int gq = q0 + ty + 0;
            if (gq < nq) {
                float inv = l0 > 0.0f ? 1.0f / l0 : 0.0f;
                int at = outBase + gq * qStride + h * headDim + tx;
                out.set(at + 0, o00 * inv);
                out.set(at + 16, o01 * inv);
                out.set(at + 32, o02 * inv);
                out.set(at + 48, o03 * inv);
                if (headDim == 128) {
                    out.set(at + 64, o04 * inv);
                    out.set(at + 80, o05 * inv);
                    out.set(at + 96, o06 * inv);
                    out.set(at + 112, o07 * inv);
                }
                if (tx == 0) lse.set(lseBase + gq * nHeads + h, l0 > 0.0f ? m0 + KernelMath.log(l0) : Float.NEGATIVE_INFINITY);
            }
        }
        {
            int gq = q0 + ty + 16;
            if (gq < nq) {
                float inv = l1 > 0.0f ? 1.0f / l1 : 0.0f;
                int at = outBase + gq * qStride + h * headDim + tx;
                out.set(at + 0, o10 * inv);
                out.set(at + 16, o11 * inv);
                out.set(at + 32, o12 * inv);
                out.set(at + 48, o13 * inv);
                if (headDim == 128) {
                    out.set(at + 64, o14 * inv);
                    out.set(at + 80, o15 * inv);
                    out.set(at + 96, o16 * inv);
                    out.set(at + 112, o17 * inv);
                }
                if (tx == 0) lse.set(lseBase + gq * nHeads + h, l1 > 0.0f ? m1 + KernelMath.log(l1) : Float.NEGATIVE_INFINITY);
            }
        }
        {
            int gq = q0 + ty + 32;
            if (gq < nq) {
                float inv = l2 > 0.0f ? 1.0f / l2 : 0.0f;
                int at = outBase + gq * qStride + h * headDim + tx;
                out.set(at + 0, o20 * inv);
                out.set(at + 16, o21 * inv);
                out.set(at + 32, o22 * inv);
                out.set(at + 48, o23 * inv);
                if (headDim == 128) {
                    out.set(at + 64, o24 * inv);
                    out.set(at + 80, o25 * inv);
                    out.set(at + 96, o26 * inv);
                    out.set(at + 112, o27 * inv);
                }
                if (tx == 0) lse.set(lseBase + gq * nHeads + h, l2 > 0.0f ? m2 + KernelMath.log(l2) : Float.NEGATIVE_INFINITY);
            }
        }
        {
            int gq = q0 + ty + 48;
            if (gq < nq) {
                float inv = l3 > 0.0f ? 1.0f / l3 : 0.0f;
                int at = outBase + gq * qStride + h * headDim + tx;
                out.set(at + 0, o30 * inv);
                out.set(at + 16, o31 * inv);
                out.set(at + 32, o32 * inv);
                out.set(at + 48, o33 * inv);
                if (headDim == 128) {
                    out.set(at + 64, o34 * inv);
                    out.set(at + 80, o35 * inv);
                    out.set(at + 96, o36 * inv);
                    out.set(at + 112, o37 * inv);
                }
                if (tx == 0) lse.set(lseBase + gq * nHeads + h, l3 > 0.0f ? m3 + KernelMath.log(l3) : Float.NEGATIVE_INFINITY);
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
