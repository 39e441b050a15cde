package org.apbj.kernels.lib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.DeviceCapabilities;
import org.junit.jupiter.api.Test;

/** KernelOps picks the tensor-core kernels by the device's capabilities, whatever the device's class. */
class KernelOpsChoiceTest {

    /** A device that only answers backend, name and capabilities (KernelOps' constructor asks nothing else). */
    private static Device reporting(DeviceCapabilities caps) {
        return (Device) Proxy.newProxyInstance(Device.class.getClassLoader(), new Class<?>[] {Device.class}, (p, m, args) ->
                switch (m.getName()) {
                    case "capabilities" -> caps;
                    case "backend" -> Backend.CUDA;
                    case "name", "toString" -> "reporting device " + caps;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }

    @Test
    void tensorCoresWhereTheHardwareHasThem() {
        assertTrue(new KernelOps(reporting(DeviceCapabilities.cuda(9, 0, 227 * 1024, 1024, 132))).tensorCores());
        assertTrue(new KernelOps(reporting(DeviceCapabilities.cuda(8, 0, 163 * 1024, 1024, 108))).tensorCores());
        assertFalse(new KernelOps(reporting(DeviceCapabilities.cuda(7, 5, 64 * 1024, 1024, 40))).tensorCores());
        assertFalse(new KernelOps(reporting(DeviceCapabilities.portable(64 * 1024, 1024, 8))).tensorCores());
    }

    @Test
    void theFp32PropertyKeepsProjectionsOnFp32() {
        String before = System.getProperty(KernelOps.FP32_GEMM_PROPERTY);
        System.setProperty(KernelOps.FP32_GEMM_PROPERTY, "true");
        try {
            assertFalse(new KernelOps(reporting(DeviceCapabilities.cuda(9, 0, 227 * 1024, 1024, 132))).tensorCores());
        } finally {
            if (before == null) System.clearProperty(KernelOps.FP32_GEMM_PROPERTY);
            else System.setProperty(KernelOps.FP32_GEMM_PROPERTY, before);
        }
        assertEquals(true, new KernelOps(reporting(DeviceCapabilities.cuda(9, 0, 227 * 1024, 1024, 132))).tensorCores());
    }

    /** -Dapbj.attention.producer: absent or tma picks bulk copies, cp-async the cp.async producer, anything else is refused. */
    @Test
    void theProducerPropertyPicksTheAttentionProducer() {
        String before = System.getProperty(KernelOps.ATTENTION_PRODUCER_PROPERTY);
        Device hopper = reporting(DeviceCapabilities.cuda(9, 0, 227 * 1024, 1024, 132));
        try {
            System.clearProperty(KernelOps.ATTENTION_PRODUCER_PROPERTY);
            assertTrue(new KernelOps(hopper).tmaAttentionProducer(), "the default is the TMA producer");
            System.setProperty(KernelOps.ATTENTION_PRODUCER_PROPERTY, "tma");
            assertTrue(new KernelOps(hopper).tmaAttentionProducer());
            System.setProperty(KernelOps.ATTENTION_PRODUCER_PROPERTY, "cp-async");
            assertFalse(new KernelOps(hopper).tmaAttentionProducer());
            System.setProperty(KernelOps.ATTENTION_PRODUCER_PROPERTY, "bulk");
            String error = assertThrows(IllegalArgumentException.class, () -> new KernelOps(hopper)).getMessage();
            assertTrue(error.contains("'tma' or 'cp-async'"), error);
        } finally {
            if (before == null) System.clearProperty(KernelOps.ATTENTION_PRODUCER_PROPERTY);
            else System.setProperty(KernelOps.ATTENTION_PRODUCER_PROPERTY, before);
        }
    }

    /**
     * -Dapbj.attention.fa2Form: absent is the default form, a spec its parts (read back by
     * toString), original the kernel before the forms; an unknown part is refused naming the parts.
     */
    @Test
    void theFa2FormPropertyPicksTheForm() {
        String before = System.getProperty(KernelOps.FA2_FORM_PROPERTY);
        Device ampere = reporting(DeviceCapabilities.cuda(8, 0, 163 * 1024, 1024, 108));
        try {
            System.clearProperty(KernelOps.FA2_FORM_PROPERTY);
            assertEquals(FlashAttentionFa2.Form.DEFAULT, new KernelOps(ampere).fa2Form());
            System.setProperty(KernelOps.FA2_FORM_PROPERTY, "swizzle+s3+fast-max");
            FlashAttentionFa2.Form form = new KernelOps(ampere).fa2Form();
            assertEquals(new FlashAttentionFa2.Form(true, false, true, 3), form);
            assertEquals(form, FlashAttentionFa2.Form.parse(form.toString()));
            System.setProperty(KernelOps.FA2_FORM_PROPERTY, "original");
            assertEquals(FlashAttentionFa2.Form.ORIGINAL, new KernelOps(ampere).fa2Form());
            assertEquals("original", FlashAttentionFa2.Form.ORIGINAL.toString());
            System.setProperty(KernelOps.FA2_FORM_PROPERTY, "fast-max+s4");
            String error = assertThrows(IllegalArgumentException.class, () -> new KernelOps(ampere)).getMessage();
            assertTrue(error.contains("'s4'") && error.contains("lazy-rescale"), error);
        } finally {
            if (before == null) System.clearProperty(KernelOps.FA2_FORM_PROPERTY);
            else System.setProperty(KernelOps.FA2_FORM_PROPERTY, before);
        }
    }

    /** -Dapbj.attention.persistent: absent or false off, true on, q-by-producer on with Q stored by the producer, else refused. */
    @Test
    void thePersistentPropertyPicksTheForm() {
        String before = System.getProperty(KernelOps.PERSISTENT_ATTENTION_PROPERTY);
        Device hopper = reporting(DeviceCapabilities.cuda(9, 0, 227 * 1024, 1024, 132));
        try {
            System.clearProperty(KernelOps.PERSISTENT_ATTENTION_PROPERTY);
            assertFalse(new KernelOps(hopper).persistentAttention(), "off by default until measured");
            System.setProperty(KernelOps.PERSISTENT_ATTENTION_PROPERTY, "true");
            assertTrue(new KernelOps(hopper).persistentAttention());
            assertFalse(new KernelOps(hopper).persistentQByProducer());
            System.setProperty(KernelOps.PERSISTENT_ATTENTION_PROPERTY, "q-by-producer");
            assertTrue(new KernelOps(hopper).persistentAttention());
            assertTrue(new KernelOps(hopper).persistentQByProducer());
            System.setProperty(KernelOps.PERSISTENT_ATTENTION_PROPERTY, "yes");
            String error = assertThrows(IllegalArgumentException.class, () -> new KernelOps(hopper)).getMessage();
            assertTrue(error.contains("'false', 'true' or 'q-by-producer'"), error);
        } finally {
            if (before == null) System.clearProperty(KernelOps.PERSISTENT_ATTENTION_PROPERTY);
            else System.setProperty(KernelOps.PERSISTENT_ATTENTION_PROPERTY, before);
        }
    }

    /** k-ahead orders the TMA producer's loads: with the cp.async producer the launch is refused, naming the fix. */
    @Test
    void kAheadNeedsTheTmaProducer() {
        Device d = LibTesting.device(Backend.JAVA);
        try (KernelOps ops = new KernelOps(d, LibTesting.REDUCTION_THREADS, true).useHopperAttention(true)
                .usePipelinedAttention(true).useTmaAttentionProducer(false).decodeAttention(false)
                .usePipelinedSchedule(FlashAttentionHopperWs.Schedule.parse("k-ahead"))) {
            var q = d.allocF32(130 * 2 * 64);
            var k = d.allocBF16(130 * 64);
            var v = d.allocBF16(130 * 64);
            String error = assertThrows(IllegalStateException.class, () -> ops.attention(q, 130, k, v, 0, 0, 130, true, 2, 1,
                    64, d.allocF32(130 * 2 * 64), d.allocF32(130 * 2))).getMessage();
            assertTrue(error.contains("apbj.attention.producer=tma"), error);
        }
        assertEquals("s3+own-ranges+k-ahead", FlashAttentionHopperWs.Schedule.parse("k-ahead+s3+own-ranges").toString());
    }

    /** auto: the ping-pong GEMM for fp32 and SwiGLU outputs at k <= 4096, the one-tile-per-group TMA GEMM otherwise. */
    @Test
    void autoPicksTheGemmMeasuredFasterForTheShape() {
        assertEquals(KernelOps.HopperGemm.TMA_PINGPONG, KernelOps.autoGemm(KernelOps.GemmOutput.F32, 4096));
        assertEquals(KernelOps.HopperGemm.TMA_PINGPONG, KernelOps.autoGemm(KernelOps.GemmOutput.SWIGLU, 4096));
        assertEquals(KernelOps.HopperGemm.TMA, KernelOps.autoGemm(KernelOps.GemmOutput.BF16, 4096));
        assertEquals(KernelOps.HopperGemm.TMA, KernelOps.autoGemm(KernelOps.GemmOutput.F32, 14336));
        assertEquals(KernelOps.HopperGemm.TMA, KernelOps.autoGemm(KernelOps.GemmOutput.SWIGLU, 4104));
    }

    /**
     * The split of k per decode shape (Llama-3.1-8B): the one-row products of 4096 outputs
     * (o, down) and q/k/v (3072 pairs) split 4 ways to reach 8K warps, k/v alone (1024) 4 ways
     * too (8 would leave a warp less than one chunk of 4096 / 8 words), the LM head and SwiGLU
     * (enough warps unsplit) not at all; the tensor-core form splits its 256 tiles of o and down
     * 8 ways. Every split keeps a whole unrolled chunk per warp.
     */
    @Test
    void theSplitBringsEachDecodeShapeToAboutEightThousandWarps() {
        int chunk = 32 * Matvec.UNROLL;
        assertEquals(4, MatvecChoice.pairSplit(MatvecChoice.AUTO, 4096, 4096), "o");
        assertEquals(4, MatvecChoice.pairSplit(MatvecChoice.AUTO, 4096, 14336), "down");
        assertEquals(4, MatvecChoice.pairSplit(MatvecChoice.AUTO, 1024, 4096), "k or v alone");
        assertEquals(1, MatvecChoice.pairSplit(MatvecChoice.AUTO, 128256, 4096), "lm_head");
        assertEquals(4, MatvecChoice.split(MatvecChoice.AUTO, 3072, 4096 / Matvec.PER_LOAD, chunk), "q/k/v pairs");
        assertEquals(2, MatvecChoice.pairSplit(MatvecChoice.AUTO, 4096, 2048), "a short k: one chunk per warp at most");
        assertEquals(1, MatvecChoice.pairSplit(MatvecChoice.AUTO, 4096, 1024));
        assertEquals(8, MatvecChoice.tensorCoreSplit(MatvecChoice.AUTO, MatvecChoice.tensorCoreTiles(4096), 4096), "o on tensor cores");
        assertEquals(8, MatvecChoice.tensorCoreSplit(MatvecChoice.AUTO, MatvecChoice.tensorCoreSwiGluTiles(14336), 4096),
                "gate/up: 1792 tiles of 8 outputs");
        assertEquals(2, MatvecChoice.tensorCoreSplit(MatvecChoice.AUTO, MatvecChoice.tensorCoreTiles(128256), 4096), "lm_head");
        for (int n : new int[] {8, 1000, 4096, 14336, 128256}) {
            for (int k : new int[] {8, 72, 1064, 4096, 14336}) {
                int s = MatvecChoice.pairSplit(MatvecChoice.AUTO, n, k);
                assertTrue(s == 1 || k / Matvec.PER_LOAD / s >= chunk, n + "x" + k + ": split " + s + " leaves less than a chunk");
                int t = MatvecChoice.tensorCoreSplit(MatvecChoice.AUTO, MatvecChoice.tensorCoreTiles(n), k);
                assertTrue(t == 1 || k / 32 / t >= MatvecTc.UNROLL, n + "x" + k + ": tensor-core split " + t);
            }
        }
        assertEquals(8, MatvecChoice.pairSplit(8, 128256, 8), "a forced split is taken as it is");
        assertEquals(1024, MatvecChoice.pairGrid(2048, 4).globalSize(0) / Matvec.THREADS, "groups of 2 slots of 4 warps");
        assertEquals(256, MatvecChoice.tensorCoreGrid(256, 8).globalSize(0) / MatvecTc.THREADS, "one tile a group: 8 warps split its k");
    }

    /**
     * The form each product takes: tensor cores from the setting's row count up (SwiGLU too),
     * split for one row unless the split is off, the unsplit kernels otherwise; the fused q/k/v
     * + RoPE follows the split setting only. The unsplit grid is the one the kernels always had.
     */
    @Test
    void theFormFollowsTheSettingsAndTheRows() {
        int off = MatvecChoice.OFF, auto = MatvecChoice.AUTO, never = MatvecChoice.TC_NEVER;
        assertEquals(MatvecChoice.Form.UNSPLIT, MatvecChoice.plain(off, never, 1, 4096, 4096).form());
        assertEquals(256, MatvecChoice.plain(off, never, 8, 4096, 4096).grid().globalSize(0) / Matvec.THREADS,
                "unsplit: ceil(n / 16) groups");
        assertEquals(MatvecChoice.Form.SPLIT, MatvecChoice.plain(auto, never, 1, 4096, 4096).form());
        assertEquals(MatvecChoice.Form.UNSPLIT, MatvecChoice.plain(auto, never, 2, 4096, 4096).form(), "split is for one row");
        assertEquals(MatvecChoice.Form.TENSOR_CORES, MatvecChoice.plain(off, 2, 2, 4096, 4096).form());
        assertEquals(MatvecChoice.Form.SPLIT, MatvecChoice.plain(auto, 2, 1, 4096, 4096).form(), "tc=true leaves one row");
        assertEquals(MatvecChoice.Form.TENSOR_CORES, MatvecChoice.plain(off, 1, 1, 4096, 4096).form(), "tc=all takes it");
        assertEquals(MatvecChoice.Form.TENSOR_CORES, MatvecChoice.swiGlu(off, 2, 8, 14336, 4096).form());
        assertEquals(MatvecChoice.Form.UNSPLIT, MatvecChoice.swiGlu(auto, never, 1, 14336, 4096).form());
        assertEquals(MatvecChoice.Form.UNSPLIT, MatvecChoice.qkvRope(off, 3072, 4096).form());
        MatvecChoice.Launch qkv = MatvecChoice.qkvRope(auto, 3072, 4096);
        assertEquals(MatvecChoice.Form.SPLIT, qkv.form());
        assertEquals(4, qkv.split());
        assertEquals(3072 / 2, qkv.grid().globalSize(0) / Matvec.THREADS, "two pairs of 4 warps a group");
        assertEquals("Matvec split=4", qkv.describe());
    }

    /** -Dapbj.matvec.split and -Dapbj.matvec.tc: the values each takes, anything else refused naming them. */
    @Test
    void theMatvecPropertiesTakeTheirValuesAndRefuseOthers() {
        assertEquals(MatvecChoice.OFF, MatvecChoice.parseSplit(null), "off until measured");
        assertEquals(MatvecChoice.AUTO, MatvecChoice.parseSplit("auto"));
        assertEquals(8, MatvecChoice.parseSplit("8"));
        String error = assertThrows(IllegalArgumentException.class, () -> MatvecChoice.parseSplit("3")).getMessage();
        assertTrue(error.contains("'off', 'auto' or one of 1, 2, 4, 8"), error);
        assertEquals(MatvecChoice.TC_NEVER, MatvecChoice.parseTensorCoreRows(null));
        assertEquals(2, MatvecChoice.parseTensorCoreRows("true"));
        assertEquals(1, MatvecChoice.parseTensorCoreRows("all"));
        error = assertThrows(IllegalArgumentException.class, () -> MatvecChoice.parseTensorCoreRows("yes")).getMessage();
        assertTrue(error.contains("'false', 'true' (2 to 8 rows) or 'all'"), error);
    }
}
