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
 * {@link FlashAttentionFa2} (its default form, and every other form on {@link AttentionTest#fa2FormCases}) and,
 * next to it, {@link FlashAttention}. Apart from
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

    /** The forms of {@link FlashAttentionFa2} other than the default, each with the nine-group causal cases too. */
    @Test void fa2Forms() {
        AttentionTest.fa2Forms().map(FlashAttentionFa2.Form::parse).forEach(form -> {
            new AttentionTest().fa2FormCases(CUDA, form, 4);
            longCausal(AttentionTest.AttentionKernel.TENSOR_CORES_FA2, form);
        });
    }

    @Test void originalAttention() {
        every(AttentionTest.AttentionKernel.TENSOR_CORES);
    }

    private static void every(AttentionTest.AttentionKernel kernel) {
        CudaKernelsTest.attentionCases(new AttentionTest(), kernel);
        new AttentionTest().longKeyRangesManyTurns(CUDA, kernel);
        longCausal(kernel, null);
    }

    /**
     * Nine causal query groups of 128 rows per head (launched latest first), 33 key tiles through
     * the K/V ring, GQA 4/2, d = 128; the same rows after 700 cached keys. {@code form}: a
     * {@link FlashAttentionFa2} form, or null for the kernel's default.
     */
    private static void longCausal(AttentionTest.AttentionKernel kernel, FlashAttentionFa2.Form form) {
        String where = CUDA + " (" + kernel + (form == null ? "" : " " + form) + ")";
        java.util.Random r = random("sm80 long causal " + where);
        java.util.function.Supplier<KernelOps> ops = () -> form == null ? kernel.ops(device(CUDA))
                : kernel.ops(device(CUDA)).useFa2Form(form);
        AttentionTest.runAndCompare(where, true, device(CUDA), r, 1100, 1100, 0, 0, true, 4, 2, 128,
                (q, k, v, out, lse) -> ops.get().attention(q, 1100, k, v, 0, 0, 1100, true, 4, 2, 128, out, lse));
        AttentionTest.runAndCompare(where, true, device(CUDA), r, 1100, 1800, 700, 0, true, 4, 2, 128,
                (q, k, v, out, lse) -> ops.get().attention(q, 1100, k, v, 700, 0, 1100, true, 4, 2, 128, out, lse));
    }
}
