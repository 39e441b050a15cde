package org.apbj.kernels.lib;

import org.apbj.kernels.testing.TestSeed;

import static org.apbj.kernels.lib.LibTesting.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Device;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Retaining-head scores s = maxpool5(W2 · silu(W1 · [q; k; v])) against an fp64 reference, on the
 * fp32 path and on the bf16 GEMM path (whose reference rounds q to bf16 first, as the kernel
 * does); and the selection those scores lead to, held to the exact scores up to that rounding.
 */
@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class RetainingHeadsTest {

    static Iterable<Backend> backends() { return LibTesting.backends(); }

    /** A random problem: 4 query heads, kvHeads KV heads of 16, R hidden, n tokens from kv row kvRow. */
    record Problem(int nH, int nKv, int hd, int rHidden, int n, int kvRow, float[] q, float[] k, float[] v, float[] w1,
                   float[] w2) {
        static Problem random(Random r, int nKv, int rHidden, int n, int kvRow) {
            int nH = 4, hd = 16, qDim = nH * hd, kvDim = nKv * hd, in = qDim + 2 * kvDim;
            return new Problem(nH, nKv, hd, rHidden, n, kvRow, gaussians(r, n * qDim, 1.0),
                    bf16Gaussians(r, (kvRow + n) * kvDim, 1.0), bf16Gaussians(r, (kvRow + n) * kvDim, 1.0),
                    bf16Gaussians(r, rHidden * in, 0.1), bf16Gaussians(r, nKv * rHidden, 0.2));
        }

        int qDim() { return nH * hd; }
        int kvDim() { return nKv * hd; }
        int in() { return qDim() + 2 * kvDim(); }

        /** Element c of token t's concatenation [q | k | v], q rounded to bf16 when asked. */
        double input(int t, int c, boolean roundQ) {
            if (c < qDim()) return roundQ ? roundBf16(q[t * qDim() + c]) : q[t * qDim() + c];
            if (c < qDim() + kvDim()) return k[(kvRow + t) * kvDim() + c - qDim()];
            return v[(kvRow + t) * kvDim() + c - qDim() - kvDim()];
        }
    }

    /** fp64 pooled scores and, per element, a bound on what the kernels' arithmetic may add. */
    record Expected(double[] pooled, double[] tol) {}

    /**
     * Tolerance: the hidden layer is a fp32 dot product of length in (error ≤ γ_in·Σ|terms|, twice
     * that on tensor cores, which sum in their own order, as GemmTest allows; on the bf16 path with
     * exact q in the reference, the gap between q and its bf16 rounding is added: 2^-9·Σ|q·w1|), silu passes it on (|silu'| ≤ 1.1) plus its own few roundings, W2 sums R of
     * those (weighted by |W2|) plus its own γ_R·Σ|terms|; the max-pool is exact, so a pooled value
     * carries the largest bound of its window.
     */
    static Expected expected(Problem p, boolean roundQ, boolean bf16Path) {
        int orderFactor = bf16Path ? 2 : 1;
        boolean qRoundingInTolerance = bf16Path && !roundQ;
        int n = p.n(), nKv = p.nKv(), rh = p.rHidden(), in = p.in();
        double[] raw = new double[n * nKv];
        double[] rawTol = new double[n * nKv];
        for (int t = 0; t < n; t++) {
            double[] hidden = new double[rh];
            double[] hiddenErr = new double[rh];
            for (int j = 0; j < rh; j++) {
                double sum = 0, abs = 0, qAbs = 0;
                for (int c = 0; c < in; c++) {
                    double term = p.input(t, c, roundQ) * p.w1()[j * in + c];
                    sum += term;
                    abs += Math.abs(term);
                    if (c < p.qDim()) qAbs += Math.abs(term);
                }
                hidden[j] = sum / (1 + Math.exp(-sum));
                hiddenErr[j] = 1.1 * (orderFactor * (in + 2) * 1.01 * EPS32 * abs + (qRoundingInTolerance ? EPS_BF16 / 2 * qAbs : 0))
                        + 4 * EPS32 * Math.abs(hidden[j]);
            }
            for (int h = 0; h < nKv; h++) {
                double sum = 0, abs = 0, carried = 0;
                for (int j = 0; j < rh; j++) {
                    sum += hidden[j] * p.w2()[h * rh + j];
                    abs += Math.abs(hidden[j] * p.w2()[h * rh + j]);
                    carried += hiddenErr[j] * Math.abs(p.w2()[h * rh + j]);
                }
                raw[t * nKv + h] = sum;
                rawTol[t * nKv + h] = (rh + 1) * EPS32 * abs + carried + 1e-12;
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
        return new Expected(want, tol);
    }

    /** Runs the fp32 path (bf16 false) or the bf16 GEMM path and returns the pooled scores. */
    static float[] deviceScores(Backend backend, Problem p, boolean bf16) {
        Device d = device(backend);
        F32Array hidden = d.allocF32((long) p.n() * p.rHidden());
        F32Array scores = d.allocF32((long) p.n() * p.nKv());
        KernelOps ops = ops(backend);
        if (bf16) {
            BF16Array packed = d.allocBF16((long) p.n() * p.in());
            ops.retainingScoresBf16(f32(d, p.q()), bf16(d, p.k()), bf16(d, p.v()), p.kvRow(), p.n(), bf16(d, p.w1()),
                    bf16(d, p.w2()), p.nH(), p.nKv(), p.hd(), packed, hidden, scores);
        } else {
            ops.retainingScores(f32(d, p.q()), bf16(d, p.k()), bf16(d, p.v()), p.kvRow(), p.n(), bf16(d, p.w1()),
                    bf16(d, p.w2()), p.nH(), p.nKv(), p.hd(), hidden, scores);
        }
        d.synchronize();
        return read(d, scores);
    }

    /** fp32 path; n = 37 is less than one pool tile, 150 spans three (the window crosses tile edges). */
    @ParameterizedTest
    @MethodSource("backends")
    void scoresMatchReference(Backend backend) {
        Random r = random("scoresMatchReference " + backend);
        for (int[] shape : new int[][] {{2, 48, 37, 5}, {4, 40, 150, 0}}) {
            Problem p = Problem.random(r, shape[0], shape[1], shape[2], shape[3]);
            Expected e = expected(p, false, false);
            assertClose("max-pooled retaining scores (fp32 path, n=" + p.n() + ") on " + backend, e.pooled(),
                    deviceScores(backend, p, false), e.tol());
        }
    }

    /** bf16 GEMM path against the fp64 scores of the same bf16-rounded inputs (ragged n, nKv 8 and 2). */
    @ParameterizedTest
    @MethodSource("backends")
    void bf16PathMatchesReferenceOfRoundedInputs(Backend backend) {
        Random r = random("bf16PathMatchesReferenceOfRoundedInputs " + backend);
        for (int[] shape : new int[][] {{8, 64, 131, 3}, {2, 48, 37, 0}}) {
            Problem p = Problem.random(r, shape[0], shape[1], shape[2], shape[3]);
            Expected e = expected(p, true, true);
            assertClose("max-pooled retaining scores (bf16 path, n=" + p.n() + ", nKv=" + p.nKv() + ") on " + backend,
                    e.pooled(), deviceScores(backend, p, true), e.tol());
        }
    }

    /**
     * The selection the bf16 path leads to (scores, then top-k on the device) is the exact top-k
     * up to q's rounding: every chosen row's exact score, raised by its bound, reaches every
     * other row's exact score lowered by its bound. Near-ties may go either way; nothing else may.
     * And the device's top-k is exactly the top-k of the scores it was given.
     */
    @ParameterizedTest
    @MethodSource("backends")
    void bf16SelectionIsTheExactSelectionUpToRounding(Backend backend) {
        Random r = random("bf16SelectionIsTheExactSelectionUpToRounding " + backend);
        Problem p = Problem.random(r, 2, 32, 203, 0);
        int excludeFirst = 17, k = 40;
        Device d = device(backend);
        float[] got = deviceScores(backend, p, true);
        I32Array indices = d.allocI32((long) p.nKv() * k);
        ops(backend).topK(f32(d, got), p.n(), p.nKv(), excludeFirst, k, indices);
        d.synchronize();
        int[] chosen = read(d, indices);
        Expected exact = expected(p, false, true);
        for (int h = 0; h < p.nKv(); h++) {
            int[] mine = java.util.Arrays.copyOfRange(chosen, h * k, (h + 1) * k);
            assertArrayEquals(hostTopK(got, p.n(), p.nKv(), h, excludeFirst, k), mine,
                    "device top-" + k + " of head " + h + " vs the host's top-k of the same scores on " + backend);
            boolean[] in = new boolean[p.n()];
            for (int t : mine) in[t] = true;
            double lowestChosen = Double.POSITIVE_INFINITY, highestOther = Double.NEGATIVE_INFINITY;
            for (int t = excludeFirst; t < p.n(); t++) {
                int e = t * p.nKv() + h;
                if (in[t]) lowestChosen = Math.min(lowestChosen, exact.pooled()[e] + exact.tol()[e]);
                else highestOther = Math.max(highestOther, exact.pooled()[e] - exact.tol()[e]);
            }
            assertTrue(lowestChosen >= highestOther, "head " + h + " on " + backend + ": a chosen row's exact score (+bound) "
                    + lowestChosen + " is below an unchosen row's (−bound) " + highestOther);
        }
    }

    /** Descending score, ties to the lower index; returned ascending (the kernel's contract). */
    static int[] hostTopK(float[] scores, int n, int nKv, int h, int excludeFirst, int k) {
        List<Integer> rows = new ArrayList<>();
        for (int t = excludeFirst; t < n; t++) rows.add(t);
        rows.sort((x, y) -> {
            int c = Float.compare(scores[y * nKv + h], scores[x * nKv + h]);
            return c != 0 ? c : Integer.compare(x, y);
        });
        return rows.subList(0, k).stream().mapToInt(Integer::intValue).sorted().toArray();
    }
}
