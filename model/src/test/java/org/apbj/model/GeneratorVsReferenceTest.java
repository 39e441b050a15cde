package org.apbj.model;

import org.apbj.kernels.testing.TestSeed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

import org.apbj.kernels.runtime.Device;
import org.apbj.model.reference.ReferenceModel;
import org.apbj.weights.ModelConfig;
import org.apbj.weights.ModelWeights;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The kernel-backed DenseGenerator against the plain-Java ReferenceModel on fresh random models:
 * last-row logits after a chunked prefill, then greedy tokens through the KV cache (32 on
 * PoCL; 8 on the Java device, whose cooperative work-groups make every launch slow).
 */
@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class GeneratorVsReferenceTest {

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0} {1} ropeScaling={2} tied={3} prompt={4} chunk={5} steps={6}")
    @CsvSource({
            "java,   LLAMA, false, false, 10, 4,  8",
            "java,   QWEN2, true,  true,  7,  16, 8",
            "opencl, LLAMA, true,  false, 70, 32, 32",
            "opencl, QWEN2, false, false, 40, 64, 32",
    })
    void matchesReference(String deviceSpec, ModelConfig.Family family, boolean ropeScaling, boolean tied, int promptLength,
                          int chunk, int steps) {
        check(tmp, deviceSpec, family, ropeScaling, tied, promptLength, chunk, steps);
    }

    static void check(Path tmp, String deviceSpec, ModelConfig.Family family, boolean ropeScaling, boolean tied,
                      int promptLength, int chunk, int steps) {
        check(tmp, deviceSpec, family, ropeScaling, tied, promptLength, chunk, steps, false);
    }

    /** fusedPrefill: the prefill with {@link DeviceModel#useFusedPrefill} on (RoPE in the attention's Q load, bf16 attention output). */
    static void check(Path tmp, String deviceSpec, ModelConfig.Family family, boolean ropeScaling, boolean tied,
                      int promptLength, int chunk, int steps, boolean fusedPrefill) {
        long seed = TestSeed.next();
        ModelConfig cfg = RandomModels.tinyConfig(family, ropeScaling, tied);
        Path dir = RandomModels.write(tmp.resolve("m"), cfg, seed);
        int[] prompt = new SplittableRandom(seed + 1).ints(promptLength, 2, cfg.vocabSize()).toArray();
        String where = deviceSpec + " seed " + seed;

        ReferenceModel ref;
        try (ModelWeights w = ModelWeights.open(dir)) {
            ref = ReferenceModel.load(w, null);
        }
        ReferenceModel.Prefill refPrefill = ref.prefill(prompt, 1, false);
        float[] refLogits = refPrefill.logits()[0];

        try (Device device = TestDevices.open(deviceSpec);
             ModelWeights w = ModelWeights.open(dir);
             DenseGenerator tf = DenseGenerator.load(device, w, null,
                     DenseGenerator.Options.context(promptLength + steps).withPrefillChunk(chunk))) {
            tf.model().useFusedPrefill(fusedPrefill);
            where += fusedPrefill ? " (fused prefill)" : "";
            float[] logits = tf.prefill(prompt);
            double rel = relativeError(logits, refLogits);
            System.out.printf("%s %s: prefill logits max|Δ|/range %.2e%n", where, family, rel);
            assertTrue(rel <= 1e-2, where + ": prefill logits differ by " + rel + " of their range");

            // Greedy decoding, teacher-forced with the reference's tokens so that one near-tie
            // cannot derail the rest: at every step the logits must agree within tolerance, and
            // the argmax must agree unless the reference's top two are closer than the observed
            // error (a tie at bf16 precision, where either choice is correct).
            int exact = 0;
            for (int step = 0; step < steps; step++) {
                int refToken = ReferenceModel.argmax(refLogits);
                int token = ReferenceModel.argmax(logits);
                double diff = maxAbsDiff(logits, refLogits);
                double stepRel = relativeError(logits, refLogits);
                assertTrue(stepRel <= 1e-2, where + ": step " + step + " logits differ by " + stepRel + " of their range");
                if (token == refToken) {
                    exact++;
                } else {
                    double margin = refLogits[refToken] - refLogits[token];
                    assertTrue(margin <= 2 * diff, where + ": step " + step + " greedy token " + token + " vs reference "
                            + refToken + " although the reference prefers it by " + margin + " (error " + diff + ")");
                }
                refLogits = refPrefill.session().decode(refToken);
                logits = tf.decode(refToken);
            }
            System.out.printf("%s %s: %d of %d greedy tokens identical, the rest near-ties%n", where, family, exact, steps);
            assertTrue(exact >= steps * 3 / 4, where + ": only " + exact + " of " + steps + " greedy tokens identical");
            assertTrue(tf.position() == promptLength + steps, "cache holds prompt + decoded tokens");
        }
    }

    static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    /** max |a − b| over the range (max − min) of the reference b. */
    static double relativeError(float[] a, float[] b) {
        assertTrue(a.length == b.length, "lengths " + a.length + " vs " + b.length);
        double maxDiff = 0, lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
        for (int i = 0; i < a.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
            lo = Math.min(lo, b[i]);
            hi = Math.max(hi, b[i]);
        }
        return maxDiff / (hi - lo);
    }
}
