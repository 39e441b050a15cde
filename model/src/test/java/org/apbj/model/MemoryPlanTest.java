package org.apbj.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.Devices;
import org.apbj.weights.ModelConfig;
import org.apbj.weights.ModelWeights;
import org.apbj.weights.RetainingHeads;
import org.apbj.weights.SyntheticModelWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemoryPlanTest {

    static final ModelConfig LLAMA_8B = SyntheticModelWriter.Shape.LLAMA_3_1_8B.config();

    @Test
    void llama8bWeightsAndKvMatchTheirKnownSizes() {
        // Llama-3.1-8B has 8,030,261,248 parameters; its KV cache is 128 KiB per token in bf16
        long invFreq = 64 * 4;
        assertEquals(8_030_261_248L * 2 + invFreq, MemoryPlan.weightBytes(LLAMA_8B, 0));
        assertEquals(131_072L, MemoryPlan.kvBytes(LLAMA_8B, 1));
        // retaining heads (R = 1024): fc1 [1024, 6144] + fc2 [8, 1024] per layer
        assertEquals(8_030_261_248L * 2 + invFreq + 32L * (1024 * 6144 + 8 * 1024) * 2, MemoryPlan.weightBytes(LLAMA_8B, 1024));
    }

    @Test
    void refusesWithTheNumbersAndTheLargestContextThatFits() {
        long free = 24L << 30;
        MemoryPlan plan = MemoryPlan.of(LLAMA_8B, 131_072, 4096, 0, free);
        assertFalse(plan.fits());
        int largest = plan.largestContextThatFits();
        assertTrue(largest > 0 && largest < 131_072, "largest " + largest);
        assertTrue(MemoryPlan.of(LLAMA_8B, largest, 4096, 0, free).fits());
        assertFalse(MemoryPlan.of(LLAMA_8B, largest + 1, 4096, 0, free).fits());
        var e = assertThrows(org.apbj.kernels.runtime.DeviceMemoryException.class, () -> plan.requireFits("test-gpu"));
        assertTrue(e.getMessage().contains("test-gpu") && e.getMessage().contains("131072 tokens")
                && e.getMessage().contains("largest context that fits is " + largest + " tokens"), e.getMessage());
    }

    @Test
    void thePlanIsWhatLoadingAllocates(@TempDir Path tmp) {
        ModelConfig cfg = RandomModels.tinyConfig(ModelConfig.Family.QWEN2, false, false);
        Path dir = RandomModels.write(tmp.resolve("m"), cfg, 11);
        try (Device d = Devices.open("java"); ModelWeights w = ModelWeights.open(dir);
             RetainingHeads heads = RetainingHeads.load(dir.resolve("retaining_heads.safetensors"), cfg);
             Transformer tf = Transformer.load(d, w, heads, new Transformer.Options(100, 24, false))) {
            assertEquals(tf.memoryPlan().totalBytes(), d.memory().allocatedBytes());
        }
    }

    @Test
    void transformerFailsBeforeAllocatingWhenTheContextDoesNotFit(@TempDir Path tmp) {
        ModelConfig cfg = RandomModels.tinyConfig(ModelConfig.Family.LLAMA, false, false);
        Path dir = RandomModels.write(tmp.resolve("m"), cfg, 7);
        try (Device d = Devices.open("java"); ModelWeights w = ModelWeights.open(dir)) {
            long free = d.memory().freeBytes();
            int tooLong = (int) Math.min(Integer.MAX_VALUE, free / MemoryPlan.kvBytes(cfg, 1) + 1);
            var e = assertThrows(org.apbj.kernels.runtime.DeviceMemoryException.class,
                    () -> Transformer.load(d, w, null, new Transformer.Options(tooLong, 16, false)));
            assertTrue(e.getMessage().contains("largest context that fits"), e.getMessage());
            assertEquals(0, d.memory().allocatedBytes(), "nothing may be allocated before the plan is checked");
        }
    }
}
