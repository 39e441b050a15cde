package org.apbj.kernels.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.Random;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.Kernel;
import org.apbj.kernels.runtime.Grid;
import org.apbj.kernels.runtime.java.JavaDevice;
import org.apbj.kernels.testing.TestSeed;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** NamedBarrier: its Java meaning on the Java device, its PTX through ptxas, and its compile errors. */
@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class NamedBarrierTest {
    @TempDir
    static Path work;

    private static Kernel k(String name) { return Kernel.of(HopperSyncKernels.class, name); }

    @Test
    void twoWarpGroupsSynchroniseOnTheirOwnBarriersOnTheJavaDevice() {
        long seed = TestSeed.next();
        Random random = new Random(seed);
        int groups = 3, rounds = 7, n = groups * HopperSyncKernels.GROUP, wgSize = HopperSyncKernels.WARPGROUP;
        try (JavaDevice device = new JavaDevice()) {
            I32Array in = device.allocI32(n), out = device.allocI32(n);
            int[] x = new int[n];
            for (int i = 0; i < n; i++) in.set(i, x[i] = random.nextInt(1000) - 500);
            device.launch(k("twoWarpGroups"), Grid.groups(groups, HopperSyncKernels.GROUP), out, in, rounds);
            for (int g = 0; g < groups; g++) {
                int[][] v = new int[2][wgSize];
                for (int w = 0; w < 2; w++) {
                    for (int i = 0; i < wgSize; i++) v[w][i] = x[g * HopperSyncKernels.GROUP + w * wgSize + i];
                    for (int r = 0; r < rounds; r++) {
                        int[] before = v[w].clone();
                        for (int i = 0; i < wgSize; i++) v[w][i] = before[i] * 3 + before[(i + 1 + r) % wgSize];
                    }
                }
                for (int i = 0; i < wgSize; i++) {
                    int at = g * HopperSyncKernels.GROUP;
                    assertEquals(v[0][i], out.get(at + i), "warpgroup 0 lane " + i + " of group " + g + " (seed " + seed + ")");
                    assertEquals(v[1][i] + v[0][i], out.get(at + wgSize + i),
                            "warpgroup 1 lane " + i + " of group " + g + " (seed " + seed + ")");
                }
            }
        }
    }

    @Test
    void lowersToBarSyncAndArriveThatPtxasAccepts() throws Exception {
        CompiledKernel k = KernelCompiler.compileUncached(k("twoWarpGroups"), Target.SM_90A,
                KernelCompiler.constantValues(k("twoWarpGroups"), new Object[] {null, null, 0}));
        String ptx = k.source();
        assertTrue(ptx.contains("bar.sync 1, 128;"), ptx);
        assertTrue(ptx.contains("bar.sync 2, 128;"), ptx);
        assertTrue(ptx.contains("bar.sync 3, 256;"), ptx);
        assertTrue(ptx.contains("bar.arrive 3, 256;"), ptx);
        CompiledKernel sm80 = KernelCompiler.compileUncached(k("twoWarpGroups"), Target.SM_80,
                KernelCompiler.constantValues(k("twoWarpGroups"), new Object[] {null, null, 0}));
        assumeTrue(Ptxas.available(), "ptxas is not on the PATH: skipping the assembly");
        assertNull(Ptxas.check(ptx, "sm_90a", work));
        assertNull(Ptxas.check(sm80.source(), "sm_80", work));
    }

    @Test
    void openClIsACompileErrorNamingTheFix() {
        String msg = assertThrows(KernelCompileException.class,
                () -> KernelCompiler.compile(k("twoWarpGroups"), Target.OPENCL)).getMessage();
        assertTrue(msg.contains("NamedBarrier.sync cannot run on OpenCL") && msg.contains("ctx.localBarrier()"), msg);
    }

    @Test
    void idAndCountMustBeConstantsOfTheRightRange() {
        String id = assertThrows(KernelCompileException.class,
                () -> KernelCompiler.compile(k("namedBarrierRuntimeId"), Target.SM_90)).getMessage();
        assertTrue(id.contains("the barrier id must be a compile-time constant in 1..15"), id);
        String count = assertThrows(KernelCompileException.class,
                () -> KernelCompiler.compile(k("namedBarrierPartialWarp"), Target.SM_90)).getMessage();
        assertTrue(count.contains("multiple of 32"), count);
    }
}
