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
}
