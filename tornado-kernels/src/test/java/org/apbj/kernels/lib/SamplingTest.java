package org.apbj.kernels.lib;

import org.apbj.kernels.testing.TestSeed;

import static org.apbj.kernels.lib.LibTesting.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;

import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Device;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Greedy argmax and temperature / top-p sampling against fp64 references. */
@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class SamplingTest {

    static Iterable<Backend> backends() { return LibTesting.backends(); }

    @ParameterizedTest
    @MethodSource("backends")
    void argmaxTakesTheLowestIndexOfTheLargest(Backend backend) {
        Random r = random("argmaxTakesTheLowestIndexOfTheLargest " + backend);
        Device d = device(backend);
        int n = 1000;
        float[] logits = gaussians(r, n, 3.0);
        int first = 1 + r.nextInt(n - 2);
        int second = first + 1 + r.nextInt(n - first - 1);
        float top = 100f;
        logits[first] = top;
        logits[second] = top;   // a tie: the lower index wins
        I32Array result = d.allocI32(1);
        ops(backend).argmax(f32(d, logits), n, result);
        d.synchronize();
        assertEquals(first, read(d, result)[0], "argmax on " + backend);
        logits[first] = Math.nextDown(top);
        ops(backend).argmax(f32(d, logits), n, result);
        d.synchronize();
        assertEquals(second, read(d, result)[0], "argmax after lowering the first maximum, on " + backend);
    }

    /**
     * For uniform numbers on a grid, the sampled token must be the inverse CDF (in index order)
     * of the top-p nucleus of softmax(logits / T), computed in double. Cases where fp32 mass
     * sums cannot decide (a nucleus or CDF boundary within 1e-5 of the target) accept either
     * neighbour.
     */
    @ParameterizedTest
    @MethodSource("backends")
    void samplesTheInverseCdfOfTheNucleus(Backend backend) {
        Random r = random("samplesTheInverseCdfOfTheNucleus " + backend);
        Device d = device(backend);
        int n = 300;
        float[] logits = gaussians(r, n, 2.0);
        for (int i = 0; i < 20; i++) logits[r.nextInt(n)] = logits[r.nextInt(n)];   // some ties
        F32Array ld = f32(d, logits);
        I32Array result = d.allocI32(1);
        for (float topP : new float[] {1.0f, 0.9f, 0.5f, 0.05f}) {
            float temperature = 0.3f + r.nextFloat();
            double[] w = new double[n];
            double max = Arrays.stream(toDouble(logits)).max().orElseThrow();
            double z = 0;
            for (int i = 0; i < n; i++) z += w[i] = Math.exp((logits[i] - max) / temperature);
            // nucleus: logits >= the largest tau (a logit value) with mass(>= tau) >= topP·Z
            float tau = Float.NEGATIVE_INFINITY;
            boolean undecidable = false;
            if (topP < 1) {
                float[] sorted = logits.clone();
                Arrays.sort(sorted);
                for (int i = n - 1; i >= 0; i--) {
                    double mass = 0;
                    for (int j = 0; j < n; j++) if (logits[j] >= sorted[i]) mass += w[j];
                    if (mass >= topP * z) {
                        tau = sorted[i];
                        double above = 0;
                        for (int j = 0; j < n; j++) if (logits[j] > tau) above += w[j];
                        undecidable = Math.abs(mass / z - topP) <= 1e-5 || Math.abs(above / z - topP) <= 1e-5;
                        break;
                    }
                }
            }
            if (undecidable) {
                System.out.println("  top-p " + topP + ": nucleus boundary within fp32 rounding, case skipped");
                continue;
            }
            double kept = 0;
            for (int i = 0; i < n; i++) if (logits[i] >= tau) kept += w[i];
            for (int s = 0; s < 25; s++) {
                float u = (s + r.nextFloat()) / 25;
                if (u >= 1) u = Math.nextDown(1f);
                ops(backend).sampleTopP(ld, n, temperature, topP, u, result);
                d.synchronize();
                int got = read(d, result)[0];
                assertTrue(logits[got] >= tau, "token " + got + " outside the top-" + topP + " nucleus on " + backend);
                double before = 0;
                for (int i = 0; i < got; i++) if (logits[i] >= tau) before += w[i];
                double after = before + w[got];
                double target = u * kept;
                double slack = 1e-5 * kept;
                assertTrue(before <= target + slack && target < after + slack,
                        "u=" + u + " T=" + temperature + " top-p " + topP + ": token " + got + " covers CDF ["
                                + before / kept + ", " + after / kept + ") on " + backend);
            }
        }
    }

    private static double[] toDouble(float[] v) {
        double[] o = new double[v.length];
        for (int i = 0; i < v.length; i++) o[i] = v[i];
        return o;
    }
}
