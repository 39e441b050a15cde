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

/**
 * The ping-pong TMA GEMM ({@link GemmTmaPingPong}, opt-in with
 * {@code -Dapbj.gemm.kernel=tma-pingpong}) on the CUDA device, both tile widths, against the
 * fp64 references of {@link GemmTest}; a class of its own so that one device call can run it
 * alone (scripts/gpu-gemm2-run.sh). Compiled with a bound on its mbarrier waits: a hand-off that
 * never completes traps and fails the test instead of hanging the GPU (the turns on named
 * barriers have no such bound; a turn never passed would hang until the script's timeout).
 */
@Tag("gpu")
@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class CudaGemmPingPongTest {
    @BeforeAll
    static void needsWgmma() {
        Assumptions.assumeTrue(Devices.cudaDeviceCount() > 0, "no CUDA device");
        Assumptions.assumeTrue(new KernelOps(device(Backend.CUDA), 1024).hasBf16InputGemm(), "no wgmma on this GPU");
    }

    /**
     * Every epilogue at ragged shapes, 64 k-slices, and shapes with more tiles than
     * multiprocessors, so that both consumers of a group run and pass the turn both ways.
     */
    @Test void everyEpilogueBothWidths() {
        System.setProperty(Mbarrier.DEBUG_SPINS_PROPERTY, "1000000");
        try {
            for (String width : new String[] {"192", "128"}) {
                GemmTest.withPingPong(width, () -> {
                    GemmTest t = new GemmTest();
                    t.bf16InputMatmulMatchesReference(Backend.CUDA);
                    t.bf16InputMatmulDeep(Backend.CUDA);
                    t.swiGluMatmulMatchesReference(Backend.CUDA);
                    t.swiGluMatmulDeep(Backend.CUDA);
                    t.bf16InputMatmulManyTiles(Backend.CUDA);
                });
            }
        } finally {
            System.clearProperty(Mbarrier.DEBUG_SPINS_PROPERTY);
        }
    }
}
