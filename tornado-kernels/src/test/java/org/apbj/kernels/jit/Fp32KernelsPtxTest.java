package org.apbj.kernels.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apbj.kernels.api.Kernel;
import org.apbj.kernels.lib.Attention;
import org.apbj.kernels.lib.Gemm;
import org.apbj.kernels.lib.KernelLibrary;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fp32 GEMM and attention (OpenCL, Java, and CUDA without tensor cores) as ptxas sees them,
 * for every launch-constant combination on sm_80 and sm_90. Both are written as loops in
 * {@code @Unroll} helpers; before that they were hand-unrolled scalars. The budget is the one the
 * hand-unrolled kernels had (ptxas -v of CUDA 13 on them, table below): no spills, no stack, no
 * private array in local memory, the same shared memory, the same number of fma per inner step,
 * and registers that allow at least as many groups of 256 per multiprocessor.
 */
class Fp32KernelsPtxTest {
    @TempDir
    static Path work;

    /** A kernel specialisation with the registers its hand-unrolled version used on sm_80 and sm_90. */
    record Budget(Kernel kernel, Object[] args, int sm80Registers, int sm90Registers, int sharedBytes, int fma) {
        int registers(Target t) { return t == Target.SM_80 ? sm80Registers : sm90Registers; }
        String label() { return kernel.name() + " " + Arrays.toString(args); }
    }

    private static Object[] gemm(Object... constants) {
        Object[] base = {null, 0, null, 0, null, null, 0, 0, 0};
        Object[] a = Arrays.copyOf(base, base.length + constants.length);
        System.arraycopy(constants, 0, a, base.length, constants.length);
        return a;
    }

    private static Object[] attention(boolean causal, int headDim) {
        return new Object[] {null, null, null, null, null, 0, 0, 0, 0, causal, 0, 0, headDim, 0f, 0};
    }

    /** Shared tiles: two transposed BK × (BM + 4) fp32 slices; attention's Q, K, P and V stages. */
    private static final int GEMM_SHARED = 2 * Gemm.BK * (Gemm.BM + 4) * 4;
    private static final int ATTENTION_SHARED = 33152;

    /** Registers as measured on the hand-unrolled kernels (main before the rewrite). */
    private static Stream<Budget> budgets() {
        return Stream.of(
                new Budget(KernelLibrary.MATMUL, gemm(false, false), 107, 110, GEMM_SHARED, 64),
                new Budget(KernelLibrary.MATMUL, gemm(true, true), 111, 110, GEMM_SHARED, 64),
                new Budget(KernelLibrary.MATMUL_BF16_OUT, gemm(true), 111, 110, GEMM_SHARED, 64),
                // fma: S and P·V steps plus those of the exp and log sequences.
                new Budget(KernelLibrary.ATTENTION, attention(false, 64), 64, 64, ATTENTION_SHARED, 96),
                new Budget(KernelLibrary.ATTENTION, attention(true, 64), 72, 64, ATTENTION_SHARED, 96),
                new Budget(KernelLibrary.ATTENTION, attention(false, 128), 80, 80, ATTENTION_SHARED, 112),
                new Budget(KernelLibrary.ATTENTION, attention(true, 128), 80, 80, ATTENTION_SHARED, 112));
    }

    @TestFactory
    Stream<DynamicTest> unrolledLoopsKeepTheHandUnrolledBudget() {
        assumeTrue(Ptxas.available(), "ptxas is not on the PATH: skipping the PTX resource checks");
        return budgets().flatMap(b -> Stream.of(Target.SM_80, Target.SM_90).map(t -> DynamicTest.dynamicTest(b.label() + " " + t, () -> {
            CompiledKernel k = KernelCompiler.compileUncached(b.kernel(), t, KernelCompiler.constantValues(b.kernel(), b.args()));
            String ptx = k.source();
            assertEquals(0, count(ptx, ".local"), "a private array was left in local memory");
            assertEquals(b.fma(), count(ptx, "fma.rn.f32"), "fma instructions (the unrolled inner steps)");
            Ptxas.Resources r = Ptxas.resources(ptx, t.arch(), work);
            System.out.println(b.label() + " " + t + ": " + r.registers() + " registers (hand-unrolled: " + b.registers(t)
                    + "), " + r.sharedBytes() + " bytes shared, " + r.spillStoreBytes() + " bytes spilled");
            assertEquals(0, r.spillStoreBytes(), r::report);
            assertEquals(0, r.stackFrameBytes(), r::report);
            assertEquals(b.sharedBytes(), r.sharedBytes(), r::report);
            int threads = b.kernel() == KernelLibrary.ATTENTION ? Attention.THREADS : Gemm.THREADS;
            assertTrue(groupsPerMultiprocessor(r.registers(), threads) >= groupsPerMultiprocessor(b.registers(t), threads),
                    () -> r.registers() + " registers allow fewer groups per multiprocessor than the hand-unrolled kernel's "
                            + b.registers(t) + ":\n" + r.report());
        })));
    }

    /** Groups of {@code threads} that 64K registers hold, registers allocated per warp in units of 256. */
    static int groupsPerMultiprocessor(int registers, int threads) {
        int perWarp = (registers * 32 + 255) / 256 * 256;
        return 65536 / (perWarp * (threads / 32));
    }

    private static int count(String text, String what) {
        return text.split(Pattern.quote(what), -1).length - 1;
    }
}
