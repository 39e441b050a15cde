package org.apbj.kernels.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.Kernel;
import org.apbj.kernels.api.Mbarrier;
import org.apbj.kernels.runtime.Grid;
import org.apbj.kernels.runtime.java.JavaDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mbarrier.arriveExpectTx in PTX, and the debug bound on the wait loop ({@code apbj.mbarrier.debugSpins}). */
class MbarrierTxPtxTest {
    @TempDir
    static Path work;

    private static final Kernel EXPECT_TX = Kernel.of(HopperSyncKernels.class, "expectTx");

    private static CompiledKernel compile() {
        return KernelCompiler.compileUncached(EXPECT_TX, Target.SM_90A, KernelCompiler.constantValues(EXPECT_TX, new Object[] {null, 0}));
    }

    @Test
    void arriveExpectTxLowersToItsInstructionAndAssembles() throws Exception {
        String ptx = compile().source();
        assertTrue(ptx.contains("mbarrier.arrive.expect_tx.shared::cta.b64"), ptx);
        assertTrue(ptx.contains("mbarrier.try_wait.parity.shared::cta.b64"), ptx);
        assertFalse(ptx.contains("trap;"), "no debug bound unless asked:\n" + ptx);
        assumeTrue(Ptxas.available(), "ptxas is not on the PATH: skipping the assembly");
        assertNull(Ptxas.check(ptx, "sm_90a", work));
    }

    @Test
    void debugSpinsBoundTheWaitLoopAndChangeTheCacheKey() throws Exception {
        String plainKey = CacheKey.of(EXPECT_TX, Target.SM_90A, new Object[3]);
        String ptx;
        String boundKey;
        System.setProperty(Mbarrier.DEBUG_SPINS_PROPERTY, "12345");
        try {
            ptx = compile().source();
            boundKey = CacheKey.of(EXPECT_TX, Target.SM_90A, new Object[3]);
        } finally {
            System.clearProperty(Mbarrier.DEBUG_SPINS_PROPERTY);
        }
        assertTrue(ptx.contains("trap;"), ptx);
        assertTrue(ptx.contains(", 12345;"), "the bound in the loop:\n" + ptx);
        assertNotEquals(plainKey, boundKey, "a kernel compiled with the bound must not be reused without it");
        assertEquals(plainKey, CacheKey.of(EXPECT_TX, Target.SM_90A, new Object[3]));
        assumeTrue(Ptxas.available(), "ptxas is not on the PATH: skipping the assembly");
        assertNull(Ptxas.check(ptx, "sm_90a", work));
    }

    @Test
    void badDebugSpinsValueIsAClearError() {
        System.setProperty(Mbarrier.DEBUG_SPINS_PROPERTY, "-3");
        try {
            String msg = assertThrows(IllegalArgumentException.class, DebugOptions::mbarrierDebugSpins).getMessage();
            assertTrue(msg.contains(Mbarrier.DEBUG_SPINS_PROPERTY) && msg.contains("positive"), msg);
        } finally {
            System.clearProperty(Mbarrier.DEBUG_SPINS_PROPERTY);
        }
    }

    @Test
    void zeroByteExpectTxCompletesThePhaseOnTheJavaDevice() {
        try (JavaDevice device = new JavaDevice()) {
            I32Array out = device.allocI32(2 * 64);
            device.launch(EXPECT_TX, Grid.groups(2, 64), out, 0);
            for (int i = 0; i < 2 * 64; i++) assertEquals(i + 1, out.get(i), "work-item " + i);
        }
    }
}
