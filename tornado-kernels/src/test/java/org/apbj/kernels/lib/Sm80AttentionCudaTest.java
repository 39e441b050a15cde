package org.apbj.kernels.lib;

import static org.apbj.kernels.lib.LibTesting.device;
import static org.apbj.kernels.lib.LibTesting.random;

import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Devices;
import org.apbj.kernels.testing.TestSeed;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The mma.sync attention kernels on the CUDA device (on Hopper too: {@link KernelOps} is told to
 * leave the wgmma ones off), every case of {@link AttentionTest} against its fp64 reference:
 * {@link FlashAttentionFa2} (softmax steps of 64 and of 32 keys) and, next to it, {@link FlashAttention}. Apart from
 * {@link CudaKernelsTest} so that one device call (scripts/gpu-attention-sm80-run.sh) can check
 * them alone before timing them.
 */
@Tag("gpu")
@ExtendWith(TestSeed.class)
class Sm80AttentionCudaTest {
    private static final Backend CUDA = Backend.CUDA;

    @BeforeAll
    static void needsTensorCores() {
        Assumptions.assumeTrue(Devices.cudaDeviceCount() > 0, "no CUDA device");
        Assumptions.assumeTrue(device(CUDA).capabilities().tensorCores(), "no mma.sync on this GPU");
    }

    @Test void fa2Attention() {
        every(AttentionTest.AttentionKernel.TENSOR_CORES_FA2);
    }

    @Test void originalAttention() {
        every(AttentionTest.AttentionKernel.TENSOR_CORES);
    }

    private static void every(AttentionTest.AttentionKernel kernel) {
        CudaKernelsTest.attentionCases(new AttentionTest(), kernel);
        new AttentionTest().longKeyRangesManyTurns(CUDA, kernel);
        // Nine causal query groups of 128 rows per head (launched latest first), 33 key tiles
        // through the two-stage ring, GQA 4/2, d = 128; and the same rows after 700 cached keys.
        java.util.Random r = random("sm80 long causal " + kernel);
        AttentionTest.runAndCompare(CUDA + " (" + kernel + ")", true, device(CUDA), r, 1100, 1100, 0, 0, true, 4, 2, 128,
                (q, k, v, out, lse) -> kernel.ops(device(CUDA)).attention(q, 1100, k, v, 0, 0, 1100, true, 4, 2, 128, out, lse));
        AttentionTest.runAndCompare(CUDA + " (" + kernel + ")", true, device(CUDA), r, 1100, 1800, 700, 0, true, 4, 2, 128,
                (q, k, v, out, lse) -> kernel.ops(device(CUDA)).attention(q, 1100, k, v, 700, 0, 1100, true, 4, 2, 128, out, lse));
    }
}
