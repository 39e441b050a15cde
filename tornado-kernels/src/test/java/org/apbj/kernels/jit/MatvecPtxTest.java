package org.apbj.kernels.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.stream.Stream;

import org.apbj.kernels.lib.KernelLibrary;
import org.apbj.kernels.lib.Matvec;
import org.apbj.kernels.api.Kernel;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The few-row products as ptxas sees them: weights come in 8-byte loads (ld.global.u64, none
 * narrower), the unrolled chunk keeps its loads and accumulators in registers (no local memory,
 * no spills), and registers leave room for at least four groups of 256 per multiprocessor, so
 * enough loads are in flight to stream at memory speed.
 */
class MatvecPtxTest {
    @TempDir
    static Path work;

    @TestFactory
    Stream<DynamicTest> wideLoadsRegistersOnly() {
        assumeTrue(Ptxas.available(), "ptxas is not on the PATH: skipping the PTX resource checks");
        record Case(String name, Kernel kernel, Object[] args) {}
        Stream<Case> cases = Stream.of(1, Matvec.MAX_ROWS).flatMap(rows -> Stream.of(
                new Case("matvec rows " + rows + " accumulate", KernelLibrary.MATVEC,
                        new Object[] {null, 0, null, 0, null, null, 0, 0, rows, false, true}),
                new Case("matvecBf16Out rows " + rows + " bias", KernelLibrary.MATVEC_BF16_OUT,
                        new Object[] {null, 0, null, 0, null, null, 0, 0, rows, true}),
                new Case("matvecSwiGlu rows " + rows, KernelLibrary.MATVEC_SWIGLU,
                        new Object[] {null, null, 0, null, null, 0, 0, rows})));
        return cases.map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            CompiledKernel k = KernelCompiler.compileUncached(c.kernel(), Target.SM_90,
                    KernelCompiler.constantValues(c.kernel(), c.args()));
            String ptx = k.source();
            assertTrue(count(ptx, "ld.global.u64") + count(ptx, "ld.global.s64") + count(ptx, "ld.global.b64")
                    >= 2 * Matvec.UNROLL, "the unrolled chunk's 8-byte weight loads");
            assertEquals(0, count(ptx, ".local"), "no private array left in local memory");
            Ptxas.Resources r = Ptxas.resources(ptx, "sm_90", work);
            System.out.println(c.name() + ": " + r.registers() + " registers, " + r.spillStoreBytes() + " bytes spilled");
            assertEquals(0, r.spillStoreBytes(), r::report);
            assertTrue(r.registers() <= 65536 / (4 * Matvec.THREADS), () -> "fewer than four groups fit:\n" + r.report());
        }));
    }

    private static int count(String text, String what) {
        return text.split(java.util.regex.Pattern.quote(what), -1).length - 1;
    }
}
