package org.apbj.kernels.lib;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.Constant;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.KernelContext;

/**
 * Rotary position embedding at arbitrary positions, in place, in Hugging Face's rotate_half
 * convention: element pairs (i, i + d/2) of every head rotate by angle
 * {@code positions[t] · invFreq[i]}, the product rounded to fp32 as in HF. The inverse
 * frequencies (plain or Llama-3 scaled) come from {@link #inverseFrequencies} on the host.
 *
 * <p>Kernels have no sin/cos instruction, so {@link #sinOf}/{@link #cosOf} reduce the angle by
 * π/2 in double (exact enough for angles up to millions of radians) and evaluate Taylor
 * polynomials on [-π/4, π/4] in fp32 (truncation error below 2e-9).
 */
public final class Rope {
    private Rope() {}

    private static final double TWO_OVER_PI = 0.63661977236758134308;
    private static final double PI_OVER_2_HI = 1.5707963267948966;
    private static final double PI_OVER_2_LO = 6.123233995736766e-17;

    /**
     * Rotates rows [row0, row0 + rows) of x (fp32, [*, nHeads·headDim]); token t of those rows
     * sits at position {@code positions[t]}. Grid: 1-D, any size (grid-stride loop).
     */
    public static void ropeF32(KernelContext ctx, F32Array x, int row0, int rows, int nHeads,
                               @Constant int headDim, I32Array positions, F32Array invFreq) {
        int half = headDim / 2;
        int total = rows * nHeads * half;
        for (int e = ctx.globalIdx; e < total; e += ctx.globalGroupSizeX) {
            float angle = angleOf(e, half, nHeads, positions, invFreq);
            float c = cosOf(angle);
            float s = sinOf(angle);
            int at = pairIndex(e, half, nHeads, row0);
            float x1 = x.get(at);
            float x2 = x.get(at + half);
            x.set(at, x1 * c - x2 * s);
            x.set(at + half, x2 * c + x1 * s);
        }
    }

    /** Work item e rotates pair i = e mod half of head h of token t, where e / half = t·nHeads + h. */
    private static float angleOf(int e, int half, int nHeads, I32Array positions, F32Array invFreq) {
        return positions.get(e / half / nHeads) * invFreq.get(e % half);
    }

    /** Index of the pair's first element (the second is {@code half} further) in rows from row0. */
    private static int pairIndex(int e, int half, int nHeads, int row0) {
        int th = e / half;
        return ((row0 + th / nHeads) * nHeads + th % nHeads) * (2 * half) + e % half;
    }

    /** {@link #ropeF32} for bf16 rows (keys): rotated in fp32, rounded once to bf16. */
    public static void ropeBf16(KernelContext ctx, BF16Array x, int row0, int rows, int nHeads,
                                @Constant int headDim, I32Array positions, F32Array invFreq) {
        int half = headDim / 2;
        int total = rows * nHeads * half;
        for (int e = ctx.globalIdx; e < total; e += ctx.globalGroupSizeX) {
            float angle = angleOf(e, half, nHeads, positions, invFreq);
            float c = cosOf(angle);
            float s = sinOf(angle);
            int at = pairIndex(e, half, nHeads, row0);
            float x1 = x.getFloat(at);
            float x2 = x.getFloat(at + half);
            x.setFloat(at, x1 * c - x2 * s);
            x.setFloat(at + half, x2 * c + x1 * s);
        }
    }

    static float sinOf(float x) {
        int q = quadrant(x);
        float r = reduced(x, q);
        int m = q & 3;
        if (m == 0) return sinPoly(r);
        if (m == 1) return cosPoly(r);
        if (m == 2) return -sinPoly(r);
        return -cosPoly(r);
    }

    static float cosOf(float x) {
        int q = quadrant(x);
        float r = reduced(x, q);
        int m = q & 3;
        if (m == 0) return cosPoly(r);
        if (m == 1) return -sinPoly(r);
        if (m == 2) return -cosPoly(r);
        return sinPoly(r);
    }

    /** The nearest multiple of π/2: x = q·π/2 + r with |r| ≤ π/4. */
    private static int quadrant(float x) {
        double t = x * TWO_OVER_PI;
        return (int) (t >= 0.0 ? t + 0.5 : t - 0.5);
    }

    private static float reduced(float x, int q) {
        return (float) ((x - q * PI_OVER_2_HI) - q * PI_OVER_2_LO);
    }

    private static float sinPoly(float r) {
        float r2 = r * r;
        return r + r * r2 * (-1.0f / 6 + r2 * (1.0f / 120 + r2 * (-1.0f / 5040 + r2 * (1.0f / 362880))));
    }

    private static float cosPoly(float r) {
        float r2 = r * r;
        return 1.0f + r2 * (-0.5f + r2 * (1.0f / 24 + r2 * (-1.0f / 720 + r2 * (1.0f / 40320 + r2 * (-1.0f / 3628800)))));
    }

    /**
     * Hugging Face's inverse frequencies {@code 1 / theta^(2i/d)}, i < d/2, computed in double
     * and rounded to fp32; with Llama-3 scaling ({@code factor > 0}) low frequencies (wavelength
     * above originalMaxPositions / lowFreqFactor) are divided by factor, high ones (below
     * originalMaxPositions / highFreqFactor) kept, and the band between interpolated, as in
     * transformers' {@code _compute_llama3_parameters}. Pass factor = 0 for plain RoPE.
     */
    public static float[] inverseFrequencies(int headDim, double theta, double factor, double lowFreqFactor,
                                             double highFreqFactor, int originalMaxPositions) {
        if (headDim <= 0 || headDim % 2 != 0) {
            throw new IllegalArgumentException("RoPE head dim must be positive and even, got " + headDim);
        }
        if (!(theta > 1.0)) throw new IllegalArgumentException("rope_theta must be > 1, got " + theta);
        boolean scaled = factor > 0.0;
        if (scaled && !(highFreqFactor > lowFreqFactor && originalMaxPositions > 0)) {
            throw new IllegalArgumentException("llama3 rope scaling needs high_freq_factor > low_freq_factor and"
                    + " original_max_position_embeddings > 0, got " + highFreqFactor + ", " + lowFreqFactor + ", "
                    + originalMaxPositions);
        }
        float[] inv = new float[headDim / 2];
        double lowFreqWavelen = originalMaxPositions / lowFreqFactor;
        double highFreqWavelen = originalMaxPositions / highFreqFactor;
        for (int i = 0; i < inv.length; i++) {
            double f = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
            if (scaled) {
                double wavelen = 2 * Math.PI / f;
                if (wavelen > lowFreqWavelen) {
                    f = f / factor;
                } else if (wavelen >= highFreqWavelen) {
                    double smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                    f = (1 - smooth) * f / factor + smooth * f;
                }
            }
            inv[i] = (float) f;
        }
        return inv;
    }
}
