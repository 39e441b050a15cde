package org.apbj.kernels.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.stream.Stream;

import org.apbj.kernels.lib.KernelLibrary;
import org.apbj.kernels.lib.Matvec;
import org.apbj.kernels.lib.MatvecTc;
import org.apbj.kernels.api.Kernel;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The few-row products as ptxas sees them: weights and x come in 16-byte loads
 * (ld.global.nc.v2.s64 / v4.f32), the unrolled chunk keeps its loads and accumulators in
 * registers (no local memory, no spills), and registers leave room for at least four groups of
 * 256 per multiprocessor for one row (three for eight rows), so enough loads are in flight to
 * stream at memory speed.
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
        Stream<Case> qkv = Stream.of(64, 128).flatMap(headDim -> Stream.of(false, true).map(bias ->
                new Case("matvecQkvRope headDim " + headDim + (bias ? " bias" : ""), KernelLibrary.MATVEC_QKV_ROPE,
                        new Object[] {null, null, null, null, null, null, null, null, null, null, null, null, 0, 0, 0, headDim, bias})));
        cases = Stream.concat(cases, qkv);
        // split k (one row; split is a run-time argument): the same loads, plus a barrier and 512 bytes of shared memory
        Stream<Case> split = Stream.of(false, true).flatMap(bias -> Stream.of(
                new Case("matvecSplit" + (bias ? " bias" : "") + " accumulate", KernelLibrary.MATVEC_SPLIT,
                        new Object[] {null, 0, null, 0, null, null, 0, 0, 0, bias, true}),
                new Case("matvecBf16OutSplit" + (bias ? " bias" : ""), KernelLibrary.MATVEC_BF16_OUT_SPLIT,
                        new Object[] {null, 0, null, 0, null, null, 0, 0, 0, bias}),
                new Case("matvecQkvRopeSplit headDim 128" + (bias ? " bias" : ""), KernelLibrary.MATVEC_QKV_ROPE_SPLIT,
                        new Object[] {null, null, null, null, null, null, null, null, null, null, null, null, 0, 0, 0, 0, 128, bias})));
        cases = Stream.concat(cases, split);
        return cases.map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            CompiledKernel k = KernelCompiler.compileUncached(c.kernel(), Target.SM_90,
                    KernelCompiler.constantValues(c.kernel(), c.args()));
            String ptx = k.source();
            assertTrue(count(ptx, "ld.global.nc.v2.s64") >= 2 * Matvec.UNROLL, "the unrolled chunk's 16-byte weight loads");
            assertTrue(count(ptx, "ld.global.nc.v4.f32") >= 2 * Matvec.UNROLL, "x in 16-byte loads");
            assertEquals(0, count(ptx, "ld.global.s64") + count(ptx, "ld.global.u64"), "no 8-byte weight load left");
            assertEquals(0, count(ptx, ".local"), "no private array left in local memory");
            Ptxas.Resources r = Ptxas.resources(ptx, "sm_90", work);
            System.out.println(c.name() + ": " + r.registers() + " registers, " + r.spillStoreBytes() + " bytes spilled");
            assertEquals(0, r.spillStoreBytes(), r::report);
            // one row (decoding): at least four groups per multiprocessor; eight rows hold 8·8 x values
            // per word and get three (3 · 8 warps · 4 KiB = 96 KiB in flight per SM, ~3x what
            // 4 TB/s over 132 SMs needs at ~1 µs latency)
            int groups = c.name().contains("rows " + Matvec.MAX_ROWS) ? 3 : 4;
            assertTrue(r.registers() <= 65536 / (groups * Matvec.THREADS), () -> "fewer than " + groups + " groups fit:\n" + r.report());
        }));
    }

    /**
     * The tensor-core few-row products ({@link MatvecTc}): every specialisation KernelOps launches
     * (rows and split are run-time arguments) loads weights and x in 16-byte loads, issues the
     * unrolled chunk's two mma's per step, keeps fragments in registers (no local memory, no
     * spills) and leaves room for four groups of 256 per multiprocessor.
     */
    @TestFactory
    Stream<DynamicTest> tensorCoreFormRegistersOnly() {
        assumeTrue(Ptxas.available(), "ptxas is not on the PATH: skipping the PTX resource checks");
        record Case(String name, Kernel kernel, Object[] args) {}
        Stream<Case> cases = Stream.of(false, true).flatMap(bias -> Stream.of(
                new Case("matvecTc" + (bias ? " bias" : ""), KernelLibrary.MATVEC_TC,
                        new Object[] {null, 0, null, 0, null, null, 0, 0, 0, 0, bias, false}),
                new Case("matvecTc" + (bias ? " bias" : "") + " accumulate", KernelLibrary.MATVEC_TC,
                        new Object[] {null, 0, null, 0, null, null, 0, 0, 0, 0, bias, true}),
                new Case("matvecTcBf16Out" + (bias ? " bias" : ""), KernelLibrary.MATVEC_TC_BF16_OUT,
                        new Object[] {null, 0, null, 0, null, null, 0, 0, 0, 0, bias})));
        cases = Stream.concat(cases, Stream.of(new Case("matvecTcSwiGlu", KernelLibrary.MATVEC_TC_SWIGLU,
                new Object[] {null, null, 0, null, null, 0, 0, 0, 0})));
        return cases.map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            CompiledKernel k = KernelCompiler.compileUncached(c.kernel(), Target.SM_90,
                    KernelCompiler.constantValues(c.kernel(), c.args()));
            String ptx = k.source();
            assertTrue(count(ptx, "ld.global.nc.v2.s64") >= 2 * MatvecTc.UNROLL, "the unrolled chunk's 16-byte weight loads");
            assertTrue(count(ptx, "ld.global.nc.v4.f32") >= 2 * MatvecTc.UNROLL, "x in 16-byte loads");
            assertTrue(count(ptx, "mma.sync.aligned.m16n8k16") >= 2 * MatvecTc.UNROLL, "two mma's per step of the chunk");
            assertTrue(count(ptx, "cvt.rn.bf16x2.f32") >= 4 * MatvecTc.UNROLL, "x packed to bf16 pairs in one instruction");
            assertEquals(0, count(ptx, ".local"), "no private array left in local memory");
            Ptxas.Resources r = Ptxas.resources(ptx, "sm_90", work);
            System.out.println(c.name() + ": " + r.registers() + " registers, " + r.spillStoreBytes() + " bytes spilled");
            assertEquals(0, r.spillStoreBytes(), r::report);
            assertTrue(r.registers() <= 65536 / (4 * MatvecTc.THREADS), () -> "fewer than 4 groups fit:\n" + r.report());
        }));
    }

    private static int count(String text, String what) {
        return text.split(java.util.regex.Pattern.quote(what), -1).length - 1;
    }
}
