package org.apbj.kernels.lib;

/**
 * The fp64 attention the attention kernels are checked against: for every query row and head,
 * the scores q·k·scale (scale 1/√d) over the keys the APB mask lets the row see
 * ({@link #visible}), the exact softmax, and O = P·V, with grouped-query heads (nHeads / nKvHeads
 * query heads share one KV head). Alongside, what the tests' tolerances need: Σ p·|v| per output
 * element (what rounding P moves it by) and the largest |q_c·k_c| per row and head (what rounding
 * one Q element moves a score by). Layouts: q [nq, nHeads, d], k and v [keys, nKvHeads, d].
 */
final class AttentionReference {
    /** [nq, nHeads, d]. */
    final double[] out;
    /** log Σ exp(score) per row and head, [nq, nHeads]. */
    final double[] lse;
    /** Σ p·|v| per output element, [nq, nHeads, d]. */
    final double[] weightedAbs;
    /** The largest |q_c·k_c| over the visible keys, per row and head, [nq, nHeads]. */
    final double[] maxTerm;

    AttentionReference(double[] q, float[] k, float[] v, int nq, int keys, int p, int a, boolean causal, int nHeads,
                       int nKvHeads, int headDim) {
        out = new double[nq * nHeads * headDim];
        weightedAbs = new double[out.length];
        lse = new double[nq * nHeads];
        maxTerm = new double[nq * nHeads];
        double scale = 1.0 / Math.sqrt(headDim);
        int group = nHeads / nKvHeads;
        for (int row = 0; row < nq; row++) {
            for (int h = 0; h < nHeads; h++) {
                int kvh = h / group;
                double[] s = new double[keys];
                double max = Double.NEGATIVE_INFINITY, maxAbsTerm = 0;
                for (int key = 0; key < keys; key++) {
                    if (!visible(causal, p, a, row, key)) {
                        s[key] = Double.NEGATIVE_INFINITY;
                        continue;
                    }
                    double dot = 0;
                    for (int c = 0; c < headDim; c++) {
                        double term = q[(row * nHeads + h) * headDim + c] * k[(key * nKvHeads + kvh) * headDim + c];
                        dot += term;
                        maxAbsTerm = Math.max(maxAbsTerm, Math.abs(term));
                    }
                    s[key] = dot * scale;
                    max = Math.max(max, s[key]);
                }
                double z = 0;
                for (int key = 0; key < keys; key++) if (s[key] != Double.NEGATIVE_INFINITY) z += Math.exp(s[key] - max);
                lse[row * nHeads + h] = max + Math.log(z);
                maxTerm[row * nHeads + h] = maxAbsTerm;
                for (int c = 0; c < headDim; c++) {
                    double o = 0, oAbs = 0;
                    for (int key = 0; key < keys; key++) {
                        if (s[key] == Double.NEGATIVE_INFINITY) continue;
                        double pv = Math.exp(s[key] - max) / z * v[(key * nKvHeads + kvh) * headDim + c];
                        o += pv;
                        oAbs += Math.abs(pv);
                    }
                    out[(row * nHeads + h) * headDim + c] = o;
                    weightedAbs[(row * nHeads + h) * headDim + c] = oAbs;
                }
            }
        }
    }

    /** The mask of APB-SPEC.md, phase 1 step 6, stated per query row (without {@code causal}: every key). */
    static boolean visible(boolean causal, int p, int a, int row, int key) {
        if (!causal) return true;
        if (row < a) return key >= p && key <= p + row;   // anchor row i: keys p..p+i
        int j = row - a;
        return key <= p + a + j;                           // B row j: keys 0..p+a+j
    }
}
