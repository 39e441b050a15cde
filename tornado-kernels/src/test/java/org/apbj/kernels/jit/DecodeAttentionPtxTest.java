package org.apbj.kernels.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.stream.Stream;
import org.apbj.kernels.lib.DecodeAttention;
import org.apbj.kernels.lib.KernelLibrary;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The decode attention as ptxas sees it: fragments and accumulators in registers (no private
 * array in local memory, no spills) within the budget of two groups per multiprocessor that
 * its shared memory allows, the mma count per key tile that the tile sizes say, and K and V
 * arriving by cp.async (16 bytes) and ldmatrix(.trans).
 */
class DecodeAttentionPtxTest {
    @TempDir
    static Path work;

    @TestFactory
    Stream<DynamicTest> registersOnlyNoSpills() {
        assumeTrue(Ptxas.available(), "ptxas is not on the PATH: skipping the PTX resource checks");
        return Stream.of(64, 128).flatMap(d -> Stream.of(false, true).flatMap(fromStep -> Stream.of(Target.SM_80, Target.SM_90).map(t ->
                DynamicTest.dynamicTest("headDim " + d + (fromStep ? " keys from the step " : " ") + t, () -> {
                    Object[] args = {null, null, null, null, null, 0, 0, 0, 0, true, 0, 0, d, 0f, 0, null, fromStep};
                    CompiledKernel k = KernelCompiler.compileUncached(KernelLibrary.DECODE_ATTENTION, t,
                            KernelCompiler.constantValues(KernelLibrary.DECODE_ATTENTION, args));
                    String ptx = k.source();
                    int mmaPerTile = 2 * (d / 16) * 2;   // S and P·V of one warp's 16 keys, two n-tiles each
                    assertEquals(mmaPerTile, count(ptx, "mma.sync.aligned.m16n8k16"), "mma per key tile");
                    assertEquals(d / 16, count(ptx, "ldmatrix.sync.aligned.m8n8.x4.trans"), "ldmatrix.trans per tile");
                    assertTrue(count(ptx, "cp.async.cg.shared.global") > 0, "K and V by cp.async");
                    assertEquals(0, count(ptx, ".local"), "no private array left in local memory");
                    Ptxas.Resources r = Ptxas.resources(ptx, t.arch(), work);
                    System.out.println("DecodeAttention d=" + d + " fromStep=" + fromStep + " " + t + ": " + r.registers()
                            + " registers, " + r.sharedBytes() + " bytes shared, " + r.spillStoreBytes() + " bytes spilled");
                    assertTrue(r.registers() <= 65536 / (2 * DecodeAttention.THREADS), r::report);
                    assertEquals(0, r.spillStoreBytes(), r::report);
                    assertTrue(2 * r.sharedBytes() <= 227 * 1024, () -> "two groups must fit a multiprocessor:\n" + r.report());
                }))));
    }

    private static int count(String text, String what) {
        return text.split(java.util.regex.Pattern.quote(what), -1).length - 1;
    }
}
