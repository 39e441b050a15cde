package org.apbj.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.SplittableRandom;

import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.Devices;
import org.apbj.kernels.testing.TestSeed;
import org.apbj.weights.ModelConfig;
import org.apbj.weights.ModelWeights;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Decode steps replayed as a CUDA graph give the same bits as the same steps launched from the
 * host: greedy tokens and the logits of every step, after a prefill, on a fresh random model;
 * and the graph is really used (every step after the first two is a replay). Skipped without a GPU.
 */
@Tag("gpu")
@ExtendWith(TestSeed.class)
class GeneratorCudaGraphTest {

    @TempDir
    Path tmp;

    @Test
    void graphReplayIsBitIdenticalToDirectSteps() {
        Assumptions.assumeTrue(Devices.cudaDeviceCount() > 0, "no CUDA device here");
        long seed = TestSeed.next();
        ModelConfig cfg = RandomModels.tinyConfig(ModelConfig.Family.LLAMA, true, false);
        Path dir = RandomModels.write(tmp.resolve("m"), cfg, seed);
        int[] prompt = new SplittableRandom(seed + 1).ints(300, 2, cfg.vocabSize()).toArray();
        int steps = 24;
        String where = "seed " + seed;
        try (Device device = TestDevices.open("cuda"); ModelWeights w = ModelWeights.open(dir);
             DenseGenerator g = DenseGenerator.load(device, w, null, new DenseGenerator.Options(400, 128, false))) {
            assertTrue(device.capturesGraphs(), device.name() + " must record graphs");
            int[][] tokens = new int[2][steps];
            float[][][] logits = new float[2][steps][];
            for (int run = 0; run < 2; run++) {
                boolean graphs = run == 1;
                g.setGraphs(graphs);
                long replaysBefore = g.graphReplays();
                int next = g.appendGreedy(resetAndPrefill(g, prompt));   // the last prompt token: a decode step
                for (int i = 0; i < steps; i++) {
                    // alternate the two step entries: greedy (token stays on the device) and logits
                    if (i % 3 == 2) {
                        logits[run][i] = g.decode(next);
                        next = argmax(logits[run][i]);
                    } else {
                        next = g.appendGreedy(new int[] {next});
                        logits[run][i] = new float[0];
                    }
                    tokens[run][i] = next;
                }
                long replays = g.graphReplays() - replaysBefore;
                if (graphs) assertTrue(replays >= steps - 1, where + ": only " + replays + " of " + steps + " steps replayed a graph");
                else assertEquals(0, replays, where + ": graphs off must launch directly");
            }
            assertArrayEquals(tokens[0], tokens[1], where + ": greedy tokens with and without graphs");
            for (int i = 0; i < steps; i++) assertArrayEquals(logits[0][i], logits[1][i], where + ": logits of step " + i);
        }
    }

    /** Clears the cache, runs all but the last prompt token as a prefill, and returns the last (the first decode step's input). */
    private static int[] resetAndPrefill(DenseGenerator g, int[] prompt) {
        g.reset();
        g.append(java.util.Arrays.copyOf(prompt, prompt.length - 1));
        return new int[] {prompt[prompt.length - 1]};
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
