package org.apbj.kernels.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.stream.Stream;
import org.apbj.kernels.api.Kernel;
import org.apbj.kernels.lib.KernelLibrary;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tensor-core GEMM as ptxas sees it, for every launch-constant combination on sm_80 and
 * sm_90: the mma instructions are there, registers fit two groups of 256 per multiprocessor
 * (its @LaunchBounds), the shared tiles are 20 KB, and at most a few words spill (ptxas puts
 * them outside the main loop). Also: mma is rejected below sm_80.
 */
class TensorCorePtxTest {
    @TempDir
    static Path work;

    @TestFactory
    Stream<DynamicTest> gemmTcFitsItsLaunchBounds() {
        assumeTrue(Ptxas.available(), "ptxas is not on the PATH: skipping the PTX resource checks");
        record Variant(Kernel kernel, Object[] args) {}
        Object[] unused = {null, 0, null, 0, null, null, 0, 0, 0};
        Stream<Variant> variants = Stream.of(
                new Variant(KernelLibrary.MATMUL_TC, withConstants(unused, false, false)),
                new Variant(KernelLibrary.MATMUL_TC, withConstants(unused, true, true)),
                new Variant(KernelLibrary.MATMUL_TC_BF16_OUT, withConstants(unused, true)));
        return variants.flatMap(v -> Stream.of(Target.SM_80, Target.SM_90).map(t ->
                DynamicTest.dynamicTest(v.kernel().name() + " " + java.util.Arrays.toString(v.args()) + " " + t, () -> {
                    CompiledKernel k = KernelCompiler.compileUncached(v.kernel(), t, KernelCompiler.constantValues(v.kernel(), v.args()));
                    assertEquals(32, k.source().split("mma\\.sync\\.aligned\\.m16n8k16\\.row\\.col\\.f32\\.bf16\\.bf16\\.f32", -1).length - 1,
                            "2 k16 steps × 16 tiles of mma per slice");
                    Ptxas.Resources r = Ptxas.resources(k.source(), t.arch(), work);
                    System.out.println(v.kernel().name() + " " + t + ": " + r.registers() + " registers, " + r.sharedBytes()
                            + " bytes shared, " + r.spillStoreBytes() + " bytes spilled");
                    assertTrue(r.registers() <= 128, () -> "more than 65536 / (2 · 256) registers:\n" + r.report());
                    assertEquals(20480, r.sharedBytes(), r::report);
                    assertTrue(r.spillStoreBytes() <= 64, () -> "spills grew:\n" + r.report());
                })));
    }

    private static Object[] withConstants(Object[] base, Object... constants) {
        Object[] a = java.util.Arrays.copyOf(base, base.length + constants.length);
        System.arraycopy(constants, 0, a, base.length, constants.length);
        return a;
    }

    @Test
    void mmaNeedsSm80() {
        Kernel mma = Kernel.of(org.apbj.kernels.corpus.TensorCoreKernels.class, "mmaTile");
        KernelCompileException e = org.junit.jupiter.api.Assertions.assertThrows(KernelCompileException.class,
                () -> KernelCompiler.compileUncached(mma, Target.ptx(7, 5), new Object[4]));
        assertTrue(e.getMessage().contains("sm_80"), e.getMessage());
    }
}
