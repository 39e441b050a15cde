package org.apbj.kernels.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.stream.Stream;
import org.apbj.kernels.lib.FlashAttention;
import org.apbj.kernels.lib.KernelLibrary;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tensor-core attention as ptxas sees it: its @Unroll helpers leave every fragment and
 * accumulator in registers (no private array in local memory; ptxas may spill a few words to
 * fit three groups per multiprocessor), the loops are gone (mma count per key tile as the tile
 * sizes say), and K and V arrive by cp.async and ldmatrix(.trans).
 */
class FlashAttentionPtxTest {
    @TempDir
    static Path work;

    @TestFactory
    Stream<DynamicTest> registersOnlyNoSpills() {
        assumeTrue(Ptxas.available(), "ptxas is not on the PATH: skipping the PTX resource checks");
        return Stream.of(64, 128).flatMap(d -> Stream.of(false, true).flatMap(causal -> Stream.of(Target.SM_80, Target.SM_90).map(t ->
                DynamicTest.dynamicTest("headDim " + d + (causal ? " causal " : " ") + t, () -> {
                    Object[] args = {null, null, null, null, null, 0, 0, 0, 0, causal, 0, 0, d, 0f, 0};
                    CompiledKernel k = KernelCompiler.compileUncached(KernelLibrary.FLASH_ATTENTION, t,
                            KernelCompiler.constantValues(KernelLibrary.FLASH_ATTENTION, args));
                    String ptx = k.source();
                    int mmaPerTile = 2 * (FlashAttention.BKV / 16) * (d / 16) * 2;   // S and P·V, two n-tiles per ldmatrix
                    assertEquals(mmaPerTile, count(ptx, "mma.sync.aligned.m16n8k16"), "mma per key tile");
                    assertEquals(FlashAttention.BKV / 16 * d / 16, count(ptx, "ldmatrix.sync.aligned.m8n8.x4.trans"), "ldmatrix.trans per tile");
                    assertTrue(count(ptx, "cp.async.cg.shared.global") > 0, "K and V by cp.async");
                    assertEquals(0, count(ptx, ".local"), "no private array left in local memory");
                    Ptxas.Resources r = Ptxas.resources(ptx, t.arch(), work);
                    System.out.println("FlashAttention d=" + d + " causal=" + causal + " " + t + ": " + r.registers()
                            + " registers, " + r.sharedBytes() + " bytes shared, " + r.spillStoreBytes() + " bytes spilled");
                    // Three groups of 128 per multiprocessor (its @LaunchBounds): at most 170 registers; for
                    // d = 128 ptxas spills a few words (8–44 B, outside the mma loops), which measured
                    // faster than two groups without spills.
                    assertTrue(r.registers() <= 65536 / (3 * FlashAttention.THREADS), r::report);
                    assertTrue(r.spillStoreBytes() <= 64, () -> "spills grew:\n" + r.report());
                }))));
    }

    private static int count(String text, String what) {
        return text.split(java.util.regex.Pattern.quote(what), -1).length - 1;
    }
}
