package org.apbj.model;

import org.apbj.kernels.testing.CountingDevice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.SplittableRandom;

import org.apbj.weights.ModelConfig;
import org.apbj.weights.ModelWeights;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The dense generator makes the host wait only where it needs a value: one copy of the logits
 * per prefill (however many chunks), four bytes per greedy token; no synchronisation, with
 * profiling on or off. Counted by wrapping the device.
 */
class GeneratorWaitsTest {

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void prefillAndDecodeWaitOnlyForTheirResults(boolean profile) {
        long seed = new SplittableRandom().nextLong();
        ModelConfig cfg = RandomModels.tinyConfig(ModelConfig.Family.LLAMA, false, false);
        Path dir = RandomModels.write(tmp.resolve("m"), cfg, seed);
        int[] prompt = new SplittableRandom(seed).ints(40, 2, cfg.vocabSize()).toArray();
        String where = "seed " + seed + " profile " + profile;
        try (CountingDevice d = new CountingDevice(TestDevices.open(TestDevices.fastSpec()));
             ModelWeights w = ModelWeights.open(dir);
             DenseGenerator g = DenseGenerator.load(d, w, null, new DenseGenerator.Options(48, 16, profile))) {
            d.reset();
            float[] logits = g.prefill(prompt);                 // three chunks
            assertEquals(0, d.synchronizations.get(), where + ": prefill synchronised");
            assertEquals(1, d.copiesToHost.get(), where + ": prefill reads the logits once");
            assertEquals(0, d.otherWaitingCopies.get(), where + ": token and position uploads are queued");
            assertEquals(6, d.enqueuedCopies.get(), where + ": tokens and positions of three chunks");
            long marks = d.marks.get(), launches = d.launches.get();
            if (profile) {
                assertTrue(marks > 0 && marks % 2 == 0 && marks <= 2 * launches, where + ": " + marks
                        + " marks around " + launches + " launches (two per booked call, some calls launch twice)");
            } else {
                assertEquals(0, marks, where + ": no marks without profiling");
            }

            d.reset();
            int[] tokens = g.generate(prompt, 5, t -> false);
            assertEquals(5, tokens.length);
            assertEquals(0, d.synchronizations.get(), where + ": decode synchronised");
            assertEquals(5, d.copiesToHost.get(), where + ": one greedy token back per step");
            assertEquals(0, d.otherWaitingCopies.get(), where);
            assertEquals(ReferenceArgmax.of(logits), tokens[0], where + ": the greedy token is the argmax of the prefill logits");

            KernelTimes t = g.timing();
            if (profile) assertTrue(t.totalNanos() > 0 && t.gemmNanos() > 0 && t.attentionNanos() > 0, where + ": " + t);
            else assertEquals(0, t.totalNanos(), where + ": nothing timed without profiling");
            assertTrue(t.launches() > 0, where);
        }
    }

    /** argmax of the host logits. */
    static final class ReferenceArgmax {
        static int of(float[] v) {
            int best = 0;
            for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
            return best;
        }
    }
}
