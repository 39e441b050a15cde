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
 * The wgmma attention kernels on the CUDA device, every case of {@link AttentionTest} against
 * its fp64 reference: {@link FlashAttentionHopper} and the pipelined {@link FlashAttentionHopperWs}.
 * Skips where the GPU has no wgmma. Apart from {@link CudaKernelsTest} so that one device call
 * (scripts/gpu-attention-run.sh) can check them alone before timing them.
 */
@Tag("gpu")
@ExtendWith(TestSeed.class)
class HopperAttentionCudaTest {
    private static final Backend CUDA = Backend.CUDA;

    @BeforeAll
    static void needsWgmma() {
        Assumptions.assumeTrue(Devices.cudaDeviceCount() > 0, "no CUDA device");
        Assumptions.assumeTrue(device(CUDA).capabilities().warpGroupMma(), "no wgmma on this GPU");
    }

    @Test void hopperAttention() {
        new WarpGroupRegATest().productMatchesReference(CUDA);   // the P·V product alone first: its layouts
        CudaKernelsTest.attentionCases(new AttentionTest(), AttentionTest.AttentionKernel.HOPPER);
        new AttentionTest().longKeyRangesManyTurns(CUDA, AttentionTest.AttentionKernel.HOPPER);
    }

    /**
     * Compiled with a bound on its mbarrier waits: a hand-off that never completes traps and
     * fails the test instead of hanging the GPU.
     */
    @Test void hopperPipelinedAttention() {
        System.setProperty(Mbarrier.DEBUG_SPINS_PROPERTY, "1000000");
        try {
            CudaKernelsTest.attentionCases(new AttentionTest(), AttentionTest.AttentionKernel.HOPPER_PIPELINED);
            new AttentionTest().longKeyRangesManyTurns(CUDA, AttentionTest.AttentionKernel.HOPPER_PIPELINED);
        } finally {
            System.clearProperty(Mbarrier.DEBUG_SPINS_PROPERTY);
        }
    }

    /**
     * Every schedule of the pipelined kernel (ring depth, launch order, per-consumer key ranges
     * with their different turn counts) on the cases where they differ, mbarrier waits bounded
     * as above. A turn (named barrier) cannot be bounded: the protocol is the one the Java device
     * runs with blocking hand-offs in AttentionTest, so a hang here would be GPU-only.
     */
    @Test void pipelinedAttentionSchedules() {
        System.setProperty(Mbarrier.DEBUG_SPINS_PROPERTY, "1000000");
        try {
            AttentionTest.pipelinedSchedules().forEach(spec -> new AttentionTest().pipelinedScheduleCases(CUDA, spec));
        } finally {
            System.clearProperty(Mbarrier.DEBUG_SPINS_PROPERTY);
        }
    }
}
