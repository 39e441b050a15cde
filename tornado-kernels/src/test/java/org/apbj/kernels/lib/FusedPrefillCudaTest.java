package org.apbj.kernels.lib;

import static org.apbj.kernels.lib.LibTesting.device;

import org.apbj.kernels.api.Mbarrier;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Devices;
import org.apbj.kernels.testing.TestSeed;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The dense-prefill fusions' kernels on the CUDA device against their fp64 references: both
 * Hopper attention kernels with RoPE on Q and a bf16 output ({@link FusedPrefillAttentionTest}),
 * and the RMSNorm that reads x once ({@link ElementwiseKernelsTest#rmsNormBf16WideMatchesReference}).
 * Apart from the other CUDA tests so that one short device call (scripts/gpu-fuse-run.sh) checks
 * them before timing the prefill. Skips where the GPU has no wgmma.
 */
@Tag("gpu")
@ExtendWith(TestSeed.class)
class FusedPrefillCudaTest {
    private static final Backend CUDA = Backend.CUDA;

    @BeforeAll
    static void needsWgmma() {
        Assumptions.assumeTrue(Devices.cudaDeviceCount() > 0, "no CUDA device");
        Assumptions.assumeTrue(device(CUDA).capabilities().warpGroupMma(), "no wgmma on this GPU");
    }

    @Test void rmsNormReadsXOnce() {
        new ElementwiseKernelsTest().rmsNormBf16WideMatchesReference(CUDA);
    }

    @Test void hopperAttentionRopeOnQBf16Out() {
        check(AttentionTest.AttentionKernel.HOPPER);
    }

    /** With a bound on its mbarrier waits: a hand-off that never completes traps instead of hanging the GPU. */
    @Test void pipelinedAttentionRopeOnQBf16Out() {
        System.setProperty(Mbarrier.DEBUG_SPINS_PROPERTY, "1000000");
        try {
            check(AttentionTest.AttentionKernel.HOPPER_PIPELINED);
        } finally {
            System.clearProperty(Mbarrier.DEBUG_SPINS_PROPERTY);
        }
    }

    private static void check(AttentionTest.AttentionKernel kernel) {
        FusedPrefillAttentionTest t = new FusedPrefillAttentionTest();
        t.chunkAfterCache(CUDA, kernel);
        t.headDim128ScatteredPositions(CUDA, kernel);
        t.keySplitsMergeThenRound(CUDA, kernel);
    }
}
