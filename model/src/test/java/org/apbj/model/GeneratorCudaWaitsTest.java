package org.apbj.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.SplittableRandom;

import org.apbj.kernels.runtime.Devices;
import org.apbj.kernels.runtime.cuda.CudaDevice;
import org.apbj.weights.ModelConfig;
import org.apbj.weights.ModelWeights;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On a GPU, the dense generator's prefill waits for the stream once (its logits) however many
 * chunks it runs, and decoding once per token; profiling by CUDA events adds no wait; the plan
 * is the peak. Counted by the CUDA device itself.
 */
@Tag("gpu")
class GeneratorCudaWaitsTest {

    @TempDir
    Path tmp;

    @Test
    void prefillAndDecodeWaitOnlyForTheirResults() {
        Assumptions.assumeTrue(Devices.cudaDeviceCount() > 0, "no CUDA device here");
        long seed = new SplittableRandom().nextLong();
        ModelConfig cfg = RandomModels.tinyConfig(ModelConfig.Family.LLAMA, false, false);
        Path dir = RandomModels.write(tmp.resolve("m"), cfg, seed);
        int[] prompt = new SplittableRandom(seed).ints(1100, 2, cfg.vocabSize()).toArray();
        try (CudaDevice d = CudaDevice.open(0); ModelWeights w = ModelWeights.open(dir);
             DenseGenerator g = DenseGenerator.load(d, w, null, new DenseGenerator.Options(1200, 128, false))) {
            g.generate(prompt, 4, t -> false);   // compiles, and lets the kernel library size its scratch
            for (boolean profile : new boolean[] {false, true}) {
                g.setProfiling(profile);
                long s0 = d.streamSynchronizations();
                float[] logits = g.prefill(prompt);   // 9 chunks
                assertEquals(1, d.streamSynchronizations() - s0, "seed " + seed + " profile " + profile + ": one wait, for the logits");
                long s1 = d.streamSynchronizations();
                int[] out = g.generate(prompt, 6, t -> false);
                assertEquals(6, out.length);
                assertEquals(6, d.streamSynchronizations() - s1, "seed " + seed + " profile " + profile + ": one wait per greedy token");
                assertTrue(logits.length == cfg.vocabSize());
            }
            KernelTimes t = g.timing();
            System.out.printf("profiled prefill + generate on %s: %s%n", d.name(), t);
            assertTrue(t.gemmNanos() > 0 && t.attentionNanos() > 0, t.toString());
            assertTrue(d.memory().peakBytes() <= g.memoryPlan().totalBytes(), "peak " + d.memory().peakBytes() + " > plan "
                    + g.memoryPlan());
        }
    }
}
