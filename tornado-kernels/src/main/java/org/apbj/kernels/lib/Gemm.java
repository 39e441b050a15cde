package org.apbj.kernels.lib;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.Constant;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.KernelMath;

/**
 * Projections: {@code y[rows, n] = x[rows, k] · Wᵀ (+ bias) (+ y)} with x in fp32, the weight
 * bf16 in Hugging Face layout {@code W[n, k]} (y = x·Wᵀ), fp32 accumulation.
 *
 * <p>Tiled kernels ({@code matmul*}): one group of {@link #THREADS} work-items computes a
 * {@link #BM}×{@link #BN} tile of y; x and W tiles of depth {@link #BK} are staged through shared
 * memory and every work-item accumulates an {@link #TM}×{@link #TN} micro-tile in registers.
 * Work-item (tx, ty) owns rows {@code ty + 16·i} and columns {@code tx + 16·j}, so consecutive
 * lanes read consecutive shared words and write consecutive output columns. Grid:
 * {@code Grid.of(ceil(n/BN)·THREADS, ceil(rows/BM), THREADS, 1)}.
 *
 * <p>Row offsets ({@code xRow0}, {@code yRow0}) let results land in a slice of a larger buffer
 * (k and v rows at kvRow). Rows of x have stride k, rows of y stride n.
 */
public final class Gemm {
    private Gemm() {}

    public static final int BM = 128;
    public static final int BN = 128;
    public static final int BK = 16;
    public static final int TM = 8;
    public static final int TN = 8;
    public static final int THREADS = 256;
    /** Padded row length of the transposed shared tiles (fewer bank conflicts on the stores). */
    private static final int SHARED_STRIDE = BM + 4;

    /** x read as rows of one fp32 array. */
    static final int SOURCE_PLAIN = 0;
    /** x read as the concatenation [q (fp32) | k (bf16) | v (bf16)] of one token (retaining heads). */
    static final int SOURCE_QKV = 1;

    /** fp32 output, optional bias, optional accumulate into y (residual adds). */
    public static void matmul(KernelContext ctx, F32Array y, int yRow0, F32Array x, int xRow0, BF16Array w,
                              BF16Array bias, int rows, int n, int k,
                              @Constant boolean hasBias, @Constant boolean accumulate) {
        tiled(ctx, y, w, false, x, w, w, SOURCE_PLAIN, xRow0, 0, 0, 0, w, bias, hasBias, accumulate, false,
                yRow0, rows, n, k);
    }

    /** bf16 output (k and v projections), optional bias. */
    public static void matmulBf16Out(KernelContext ctx, BF16Array y, int yRow0, F32Array x, int xRow0, BF16Array w,
                                     BF16Array bias, int rows, int n, int k, @Constant boolean hasBias) {
        tiled(ctx, x, y, true, x, w, w, SOURCE_PLAIN, xRow0, 0, 0, 0, w, bias, hasBias, false, false,
                yRow0, rows, n, k);
    }

    /**
     * The shared tiled body. Unused arrays are passed as any array of the right type and never
     * touched (the mode flags are launch constants, so the dead branches fold away).
     */
    static void tiled(KernelContext ctx, F32Array yF32, BF16Array yBf16, boolean bf16Out,
                      F32Array x, BF16Array xk, BF16Array xv, int source, int xRow0, int qDim, int kvDim, int kvRow0,
                      BF16Array w, BF16Array bias, boolean hasBias, boolean accumulate, boolean silu,
                      int yRow0, int rows, int n, int k) {
        int tid = ctx.localIdx;
        int tx = tid & 15;
        int ty = tid >> 4;
        int colBase = ctx.groupIdx * BN;
        int rowBase = ctx.groupIdy * BM;

        float[] aTile = ctx.allocateFloatLocalArray(BK * SHARED_STRIDE);
        float[] bTile = ctx.allocateFloatLocalArray(BK * SHARED_STRIDE);
        float[] acc = new float[TM * TN];
        float[] av = new float[TM];
        float[] bv = new float[TN];
        for (int i = 0; i < TM * TN; i++) acc[i] = 0.0f;

        for (int k0 = 0; k0 < k; k0 += BK) {
            // Stage BM×BK of x and BN×BK of W, transposed ([kk][row]); out-of-range elements are 0.
            for (int l = 0; l < BM * BK / THREADS; l++) {
                int e = tid + l * THREADS;
                int r = e >> 4;
                int kk = e & (BK - 1);
                int gr = rowBase + r;
                int gk = k0 + kk;
                float a = 0.0f;
                if (gr < rows && gk < k) {
                    if (source == SOURCE_PLAIN) {
                        a = x.get((xRow0 + gr) * k + gk);
                    } else if (gk < qDim) {
                        a = x.get((xRow0 + gr) * qDim + gk);
                    } else if (gk < qDim + kvDim) {
                        a = xk.getFloat((kvRow0 + gr) * kvDim + gk - qDim);
                    } else {
                        a = xv.getFloat((kvRow0 + gr) * kvDim + gk - qDim - kvDim);
                    }
                }
                aTile[kk * SHARED_STRIDE + r] = a;
                int gc = colBase + r;
                float b = 0.0f;
                if (gc < n && gk < k) b = w.getFloat(gc * k + gk);
                bTile[kk * SHARED_STRIDE + r] = b;
            }
            ctx.localBarrier();
            for (int kk = 0; kk < BK; kk++) {
                for (int i = 0; i < TM; i++) av[i] = aTile[kk * SHARED_STRIDE + ty + 16 * i];
                for (int j = 0; j < TN; j++) bv[j] = bTile[kk * SHARED_STRIDE + tx + 16 * j];
                for (int i = 0; i < TM; i++) {
                    for (int j = 0; j < TN; j++) {
                        acc[i * TN + j] = KernelMath.fma(av[i], bv[j], acc[i * TN + j]);
                    }
                }
            }
            ctx.localBarrier();
        }

        for (int i = 0; i < TM; i++) {
            int gr = rowBase + ty + 16 * i;
            if (gr < rows) {
                for (int j = 0; j < TN; j++) {
                    int gc = colBase + tx + 16 * j;
                    if (gc < n) {
                        float r = acc[i * TN + j];
                        if (hasBias) r += bias.getFloat(gc);
                        if (silu) r = KernelMath.silu(r);
                        int at = (yRow0 + gr) * n + gc;
                        if (bf16Out) {
                            yBf16.setFloat(at, r);
                        } else {
                            if (accumulate) r += yF32.get(at);
                            yF32.set(at, r);
                        }
                    }
                }
            }
        }
    }
}
