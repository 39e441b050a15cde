package org.apbj.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.SplittableRandom;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
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
        DenseGenerator.Options o = DenseGenerator.Options.context(131_072);
        MemoryPlan plan = DenseGenerator.plan(LLAMA_8B, 0, o, free);
        assertFalse(plan.fits());
        int largest = DenseGenerator.largestContextThatFits(LLAMA_8B, 0, o, free);
        assertTrue(largest > 0 && largest < 131_072, "largest " + largest);
        assertTrue(DenseGenerator.plan(LLAMA_8B, 0, DenseGenerator.Options.context(largest), free).fits());
        assertFalse(DenseGenerator.plan(LLAMA_8B, 0, DenseGenerator.Options.context(largest + 1), free).fits());
        var e = assertThrows(org.apbj.kernels.runtime.DeviceMemoryException.class,
                () -> plan.requireFits("test-gpu", "the largest context that fits is "
                + largest + " tokens"));
        assertInstanceOf(MemoryPlan.DoesNotFit.class, e);
        assertTrue(e.getMessage().contains("test-gpu") && e.getMessage().contains("KV cache for 131072 tokens 16.00 GiB")
                && e.getMessage().contains("weights 14.96 GiB") && e.getMessage().contains("of 24.00 GiB free is usable")
                && e.getMessage().contains("largest context that fits is " + largest + " tokens"), e.getMessage());
    }

    @Test
    void splitAttentionScratchIsPlannedOnlyWhereAttentionSplits() {
        // 32 heads: a 4096-row chunk has 64 x 32 (query tile, head) groups and never splits;
        // one decode row over 32K keys runs on the decode kernel, one group per KV head and split:
        // 33 splits wanted (264 target groups / 8 KV heads), 1024 keys each (993 rounded to 64), 32 splits
        assertEquals(0, Ops.attentionScratchBytes(LLAMA_8B, 4096, 200) , "too few keys to split");
        long decode = Ops.attentionScratchBytes(LLAMA_8B, 1, 32_768);
        assertEquals(32L * (4096 + 32) * 4, decode);
        assertTrue(Ops.attentionScratchBytes(LLAMA_8B, 4096, 32_768) >= decode);
        assertTrue(Ops.attentionScratchBytes(LLAMA_8B, 4096, 32_768) < (64L << 20), "a few MiB at most");
    }

    @Test
    void loadingAllocatesThePlanExceptTheScratchTheKernelLibraryAllocatesOnFirstUse(@TempDir Path tmp) {
        ModelConfig cfg = RandomModels.tinyConfig(ModelConfig.Family.QWEN2, false, false);
        Path dir = RandomModels.write(tmp.resolve("m"), cfg, 11);
        try (Device d = Devices.open("java"); ModelWeights w = ModelWeights.open(dir);
             RetainingHeads heads = RetainingHeads.load(dir.resolve("retaining_heads.safetensors"), cfg);
             DenseGenerator g = DenseGenerator.load(d, w, heads, new DenseGenerator.Options(100, 24, false))) {
            MemoryPlan plan = g.memoryPlan();
            assertEquals(0, plan.bytes("split-attention scratch"), "100 keys are too few to split: " + plan);
            assertEquals(plan.totalBytes(), d.memory().allocatedBytes(), plan.toString());
        }
    }

    /**
     * Prefill in 64-token chunks up to 1040 tokens, then decode: attention splits over key
     * ranges, KernelOps grows its scratch, and the device's peak must be the plan exactly.
     */
    @Test
    void thePeakOfAPrefillAndDecodeIsThePlan(@TempDir Path tmp) {
        long seed = new SplittableRandom().nextLong();
        ModelConfig cfg = RandomModels.tinyConfig(ModelConfig.Family.LLAMA, false, false);
        Path dir = RandomModels.write(tmp.resolve("m"), cfg, seed);
        int[] prompt = new SplittableRandom(seed).ints(1040, 2, cfg.vocabSize()).toArray();
        try (Device d = TestDevices.open(TestDevices.fastSpec()); ModelWeights w = ModelWeights.open(dir);
             DenseGenerator g = DenseGenerator.load(d, w, null, new DenseGenerator.Options(1042, 64, false))) {
            MemoryPlan plan = g.memoryPlan();
            assertTrue(plan.bytes("split-attention scratch") > 0, plan.toString());
            g.prefill(prompt);
            g.decode(prompt[0]);
            g.decode(prompt[1]);
            assertEquals(plan.totalBytes(), d.memory().peakBytes(), "seed " + seed + ": " + plan);
        }
    }

    @Test
    void loadingReportsTheDeviceBytesLayerByLayer(@TempDir Path tmp) {
        ModelConfig cfg = RandomModels.tinyConfig(ModelConfig.Family.QWEN2, false, false);
        Path dir = RandomModels.write(tmp.resolve("m"), cfg, 11);
        java.util.List<String> parts = new java.util.ArrayList<>();
        long[] last = new long[2];
        try (Device d = Devices.open("java"); ModelWeights w = ModelWeights.open(dir);
             RetainingHeads heads = RetainingHeads.load(dir.resolve("retaining_heads.safetensors"), cfg);
             DenseGenerator g = DenseGenerator.load(d, w, heads, new DenseGenerator.Options(100, 24, false), (done, total, part) -> {
                 assertTrue(done > last[0] && done <= total, done + " of " + total);
                 last[0] = done;
                 last[1] = total;
                 if (!parts.contains(part)) parts.add(part);
             })) {
            assertEquals(last[1], last[0], "ends at the total");
            assertEquals(DeviceWeights.deviceBytes(w, heads), last[1]);
            // the plan's weights are the bf16 tensors loaded plus the RoPE table (fp32, head_dim / 2)
            assertEquals(g.memoryPlan().bytes("weights"), last[1] + cfg.headDim() / 2 * 4L, g.memoryPlan().toString());
        }
        java.util.List<String> expected = new java.util.ArrayList<>(java.util.List.of("embeddings"));
        for (int l = 0; l < cfg.numLayers(); l++) expected.add("layer " + l);
        assertEquals(expected, parts);
    }

    @Test
    void aGeneratorFailsBeforeAllocatingWhenTheContextDoesNotFit(@TempDir Path tmp) {
        ModelConfig cfg = RandomModels.tinyConfig(ModelConfig.Family.LLAMA, false, false);
        Path dir = RandomModels.write(tmp.resolve("m"), cfg, 7);
        try (Device d = Devices.open("java"); ModelWeights w = ModelWeights.open(dir)) {
            long free = d.memory().freeBytes();
            int tooLong = (int) Math.min(Integer.MAX_VALUE, free / MemoryPlan.kvBytes(cfg, 1) + 1);
            var e = assertThrows(org.apbj.kernels.runtime.DeviceMemoryException.class,
                    () -> DenseGenerator.load(d, w, null, new DenseGenerator.Options(tooLong, 16, false)));
            assertInstanceOf(MemoryPlan.DoesNotFit.class, e);
            assertTrue(e.getMessage().contains("largest context that fits") && e.getMessage().contains("KV cache for " + tooLong),
                    e.getMessage());
            assertEquals(0, d.memory().allocatedBytes(), "nothing may be allocated before the plan is checked");
        }
    }

    @Test
    void callsBeyondTheReservedSizeFailAndReserveGrowsIt(@TempDir Path tmp) {
        ModelConfig cfg = RandomModels.tinyConfig(ModelConfig.Family.LLAMA, false, false);
        Path dir = RandomModels.write(tmp.resolve("m"), cfg, 5);
        try (Device d = Devices.open("java"); ModelWeights w = ModelWeights.open(dir);
             DeviceModel m = DeviceModel.load(d, w, null, 8, 16)) {
            long loaded = d.memory().allocatedBytes();
            assertEquals(m.plannedBytes(), loaded + Ops.attentionScratchBytes(cfg, 8, 16));
            F32Array x = d.allocF32(20L * cfg.hiddenSize()), q = d.allocF32(20L * cfg.qDim());
            F32Array out = d.allocF32(20L * cfg.qDim()), lse = d.allocF32(20L * cfg.numHeads());
            BF16Array k = d.allocBF16(40L * cfg.kvDim()), v = d.allocBF16(40L * cfg.kvDim());
            var rows = assertThrows(IllegalStateException.class, () -> m.projectQkv(0, x, 9, q, k, v, 0));
            assertTrue(rows.getMessage().contains("reserve(9"), rows.getMessage());
            var keys = assertThrows(IllegalStateException.class, () -> m.attention(q, 4, k, v, AttentionMask.appended(20, 4), out, lse));
            assertTrue(keys.getMessage().contains("24 keys"), keys.getMessage());
            assertEquals(LayerScratch.bytes(cfg, 20, 0, false) - LayerScratch.bytes(cfg, 8, 0, false) + Ops.attentionScratchBytes(cfg, 20, 40),
                    m.pendingBytes(20, 40));
            m.reserve(20, 40);
            assertEquals(20, m.reservedRows());
            assertEquals(40, m.reservedKeys());
            m.projectQkv(0, x, 20, q, k, v, 0);
            m.attention(q, 4, k, v, AttentionMask.appended(20, 4), out, lse);
            d.synchronize();
            assertEquals(0, m.pendingBytes(20, 40) - Ops.attentionScratchBytes(cfg, 20, 40), "no further growth needed");
        }
    }
}
