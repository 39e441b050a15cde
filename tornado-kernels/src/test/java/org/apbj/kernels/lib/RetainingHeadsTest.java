package org.apbj.kernels.lib;

import org.apbj.kernels.testing.TestSeed;

import static org.apbj.kernels.lib.LibTesting.*;

import java.util.Random;

import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Device;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Retaining-head scores s = maxpool5(W2 · silu(W1 · [q; k; v])) against an fp64 reference. */
@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class RetainingHeadsTest {

    static Iterable<Backend> backends() { return LibTesting.backends(); }

    /**
     * Tolerance: the hidden layer is a fp32 dot product of length in = (nH + 2nKv)·d (error ≤
     * γ_in·Σ|terms|), silu passes it on (|silu'| ≤ 1.1), W2 sums r of those (weighted by |W2|)
     * plus its own γ_r·Σ|terms|; the max-pool is exact. The bound is computed per token and head.
     */
    @ParameterizedTest
    @MethodSource("backends")
    void scoresMatchReference(Backend backend) {
        Random r = random("scoresMatchReference " + backend);
        Device d = device(backend);
        int nH = 4, nKv = 2, hd = 16, rHidden = 48, n = 37, kvRow = 5;
        int qDim = nH * hd, kvDim = nKv * hd, in = qDim + 2 * kvDim;
        float[] q = gaussians(r, n * qDim, 1.0);
        float[] k = bf16Gaussians(r, (kvRow + n) * kvDim, 1.0);
        float[] v = bf16Gaussians(r, (kvRow + n) * kvDim, 1.0);
        float[] w1 = bf16Gaussians(r, rHidden * in, 0.1);
        float[] w2 = bf16Gaussians(r, nKv * rHidden, 0.2);

        double[] raw = new double[n * nKv];
        double[] rawTol = new double[n * nKv];
        for (int t = 0; t < n; t++) {
            double[] hidden = new double[rHidden];
            double[] hiddenErr = new double[rHidden];
            for (int j = 0; j < rHidden; j++) {
                double sum = 0, abs = 0;
                for (int c = 0; c < in; c++) {
                    double x = c < qDim ? q[t * qDim + c]
                            : c < qDim + kvDim ? k[(kvRow + t) * kvDim + c - qDim]
                            : v[(kvRow + t) * kvDim + c - qDim - kvDim];
                    double p = x * w1[j * in + c];
                    sum += p;
                    abs += Math.abs(p);
                }
                hidden[j] = sum / (1 + Math.exp(-sum));
                hiddenErr[j] = 1.1 * (in + 1) * EPS32 * abs + 4 * EPS32 * Math.abs(hidden[j]);
            }
            for (int h = 0; h < nKv; h++) {
                double sum = 0, abs = 0, carried = 0;
                for (int j = 0; j < rHidden; j++) {
                    sum += hidden[j] * w2[h * rHidden + j];
                    abs += Math.abs(hidden[j] * w2[h * rHidden + j]);
                    carried += hiddenErr[j] * Math.abs(w2[h * rHidden + j]);
                }
                raw[t * nKv + h] = sum;
                rawTol[t * nKv + h] = (rHidden + 1) * EPS32 * abs + carried + 1e-12;
            }
        }
        double[] want = new double[n * nKv];
        double[] tol = new double[n * nKv];
        for (int t = 0; t < n; t++) {
            for (int h = 0; h < nKv; h++) {
                double best = Double.NEGATIVE_INFINITY, bestTol = 0;
                for (int u = Math.max(0, t - 2); u <= Math.min(n - 1, t + 2); u++) {
                    if (raw[u * nKv + h] > best) best = raw[u * nKv + h];
                    bestTol = Math.max(bestTol, rawTol[u * nKv + h]);
                }
                want[t * nKv + h] = best;
                tol[t * nKv + h] = bestTol;
            }
        }
        F32Array hidden = d.allocF32((long) n * rHidden), rawD = d.allocF32((long) n * nKv);
        F32Array scores = d.allocF32((long) n * nKv);
        ops(backend).retainingScores(f32(d, q), bf16(d, k), bf16(d, v), kvRow, n, bf16(d, w1), bf16(d, w2), nH, nKv,
                hd, hidden, rawD, scores);
        d.synchronize();
        assertClose("raw retaining scores on " + backend, raw, read(d, rawD), rawTol);
        assertClose("max-pooled retaining scores on " + backend, want, read(d, scores), tol);
    }
}
