package org.apbj.kernels.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apbj.kernels.lib.FlashAttentionHopper;
import org.apbj.kernels.lib.KernelLibrary;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The wgmma attention as ptxas sees it for sm_90a: per key tile d/16 products S = Q·Kᵀ from
 * shared descriptors and BKV/16 products O += P·V with P from registers and V read by rows
 * (imm-trans-b 1, its descriptor's leading byte offset the step between 64-dim blocks); every
 * accumulator in registers (no local memory, no spills) and no "wgmma serialized" warning.
 * A target without wgmma refuses the kernel with a message naming the feature.
 */
class FlashAttentionHopperPtxTest {
    @TempDir
    static Path work;

    @TestFactory
    Stream<DynamicTest> registersOnlyNoSerialisation() {
        assumeTrue(Ptxas.available(), "ptxas is not on the PATH: skipping the PTX resource checks");
        return Stream.of(64, 128).flatMap(d -> Stream.of(false, true).flatMap(causal -> Stream.of(false, true).map(fused ->
                DynamicTest.dynamicTest("headDim " + d + (causal ? " causal" : "") + (fused ? " RoPE on Q, bf16 out" : ""), () -> {
                    String ptx = compile(Target.SM_90A, causal, d, fused).source();
                    Matcher qk = Pattern.compile("wgmma\\.mma_async\\.sync\\.aligned\\.m64n" + FlashAttentionHopper.BKV
                            + "k16\\.f32\\.bf16\\.bf16 \\{[^}]*\\}, %\\w+, %\\w+, %\\w+, 1, 1, 0, 0;").matcher(ptx);
                    assertEquals(d / 16, qk.results().count(), "S products (both operands in shared memory) per key tile");
                    Matcher pv = Pattern.compile("wgmma\\.mma_async\\.sync\\.aligned\\.m64n" + d
                            + "k16\\.f32\\.bf16\\.bf16 \\{[^}]*\\}, \\{%\\w+, %\\w+, %\\w+, %\\w+\\}, %\\w+, %\\w+, 1, 1, 1;").matcher(ptx);
                    assertEquals(FlashAttentionHopper.BKV / 16, pv.results().count(), "P·V products (A from registers, B by rows) per key tile");
                    // descriptor of V: 128-byte swizzle, 1024-byte atoms, 64-dim blocks BKV rows of 128 bytes apart
                    long fields = 1L << 62 | 64L << 32 | (long) (FlashAttentionHopper.BKV * 128 >> 4) << 16;
                    assertTrue(ptx.contains(", " + fields + ";"), "V descriptor fields " + Long.toHexString(fields));
                    assertTrue(ptx.contains(".extern .shared .align 1024"), "tiles in dynamic, 1024-aligned shared memory");
                    assertEquals(0, count(ptx, ".local"), "no private array left in local memory");
                    Ptxas.Resources r = Ptxas.resources(ptx, "sm_90a", work);
                    System.out.println("FlashAttentionHopper d=" + d + " causal=" + causal + " sm_90a: " + r.registers()
                            + " registers, " + r.spillStoreBytes() + " bytes spilled\n" + r.report());
                    assertFalse(r.report().contains("serializ"), r::report);
                    assertEquals(0, r.spillStoreBytes(), r::report);
                    assertTrue(r.registers() <= 65536 / FlashAttentionHopper.THREADS, r::report);
                }))));
    }

    @Test
    void targetsWithoutWgmmaRefuseIt() {
        var e = assertThrows(KernelCompileException.class, () -> compile(Target.SM_90, true, 128));
        assertTrue(e.getMessage().contains("WarpGroup.") && e.getMessage().contains("sm_90a"), e.getMessage());
    }

    private static CompiledKernel compile(Target t, boolean causal, int d) {
        return compile(t, causal, d, false);
    }

    /** fused: Q rotated by RoPE as it is loaded and the output stored as bf16 (the dense-prefill form). */
    private static CompiledKernel compile(Target t, boolean causal, int d, boolean fused) {
        Object[] args = {null, null, null, null, null, 0, 0, 0, 0, causal, 0, 0, d, 0f, 0, null, fused, null, null, fused};
        return KernelCompiler.compileUncached(KernelLibrary.FLASH_ATTENTION_HOPPER, t,
                KernelCompiler.constantValues(KernelLibrary.FLASH_ATTENTION_HOPPER, args));
    }

    private static int count(String text, String what) {
        return text.split(Pattern.quote(what), -1).length - 1;
    }
}
