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
 * its fp64 reference: {@link FlashAttentionHopper} and the pipelined {@link FlashAttentionHopperWs}
 * (with the cp.async producer and with the TMA one).
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
        new AttentionTest().rowsPastTheKeysAreNotSeen(CUDA, AttentionTest.AttentionKernel.HOPPER);
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
            new AttentionTest().rowsPastTheKeysAreNotSeen(CUDA, AttentionTest.AttentionKernel.HOPPER_PIPELINED);
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
            AttentionTest.pipelinedSchedules().forEach(spec -> new AttentionTest().pipelinedScheduleCases(CUDA,
                    AttentionTest.AttentionKernel.HOPPER_PIPELINED, spec));
        } finally {
            System.clearProperty(Mbarrier.DEBUG_SPINS_PROPERTY);
        }
    }

    /**
     * The pipelined kernel fed by bulk tensor copies ({@link FlashAttentionHopperWs#attentionTma},
     * {@code -Dapbj.attention.producer=tma}) against the fp64 reference, apart so that one device
     * call (scripts/gpu-attention-tma-run.sh) can check it alone. mbarrier waits are bounded as in
     * the outer class: a box whose bytes never arrive (a wrong expect_tx count, a map the
     * hardware refused to read) traps instead of hanging the GPU. A class of its own (static, not
     * nested in the outer one's run): {@code --include-classname '.*\.HopperAttentionCudaTest\$TmaProducer'}
     * selects it alone, the outer class's pattern leaves it out.
     */
    @Tag("gpu")
    @ExtendWith(TestSeed.class)
    static class TmaProducer extends TmaKernelCases {
        @Override AttentionTest.AttentionKernel kernel() { return AttentionTest.AttentionKernel.HOPPER_TMA; }
    }

    /**
     * {@link TmaProducer}'s cases on the persistent form ({@link FlashAttentionHopperWs#attentionTmaPersistent},
     * {@code -Dapbj.attention.persistent=true}) with 3 groups, so that each walks several work
     * items and the K/V ring, the turns and Q go on from item to item; and its out and lse are
     * attentionTma's bit for bit ({@link TmaKernelCases#sameBitsAsAttentionTma}). {@code --include-classname '.*\.HopperAttentionCudaTest\$TmaPersistent'}.
     */
    @Tag("gpu")
    @ExtendWith(TestSeed.class)
    static class TmaPersistent extends TmaKernelCases {
        @Override AttentionTest.AttentionKernel kernel() { return AttentionTest.AttentionKernel.HOPPER_TMA_PERSISTENT; }

    }

    /**
     * {@link TmaPersistent} with each item's Q stored ahead into a second buffer by the producer
     * warpgroup ({@code -Dapbj.attention.persistent=q-by-producer}).
     * {@code --include-classname '.*\.HopperAttentionCudaTest\$TmaPersistentQ'}.
     */
    @Tag("gpu")
    @ExtendWith(TestSeed.class)
    static class TmaPersistentQ extends TmaKernelCases {
        @Override AttentionTest.AttentionKernel kernel() { return AttentionTest.AttentionKernel.HOPPER_TMA_PERSISTENT_Q; }
    }

    /** The GPU cases of a TMA-fed attention kernel, with bounded mbarrier waits. */
    abstract static class TmaKernelCases {
        abstract AttentionTest.AttentionKernel kernel();

        @BeforeAll
        static void needsWgmma() {
            HopperAttentionCudaTest.needsWgmma();
        }

        /**
         * Every case of {@link AttentionTest} (causal, APB [P;A;B] with ragged blocks, non-causal
         * with lse, fully masked rows in key splits, GQA, d = 64 and 128), many key tiles, and K/V
         * arrays whose rows past the keys hold NaN (the map's rows end at the keys: a box's rows
         * past them land as zeros).
         */
        @Test void everyMask() {
            bounded(() -> {
                AttentionTest t = new AttentionTest();
                CudaKernelsTest.attentionCases(t, kernel());
                t.longKeyRangesManyTurns(CUDA, kernel());
                t.rowsPastTheKeysAreNotSeen(CUDA, kernel());
            });
        }

        /**
         * Every schedule (ring depth 2 and 3, launch order, per-consumer key ranges, K of the next
         * tile loaded ahead of V) on the cases where they differ.
         */
        @Test void everySchedule() {
            bounded(() -> kernel().schedules().forEach(spec -> new AttentionTest().pipelinedScheduleCases(CUDA,
                    kernel(), spec)));
        }

        /** The persistent forms: out and lse are attentionTma's bit for bit, with every schedule each takes. */
        @Test void sameBitsAsAttentionTma() {
            org.junit.jupiter.api.Assumptions.assumeTrue(kernel().persistent(), "only the persistent forms");
            bounded(() -> kernel().schedules().forEach(spec -> new AttentionTest().persistentAgreesBitForBit(CUDA, kernel(),
                    spec)));
        }

        /** Dense prefill's form: Q rotated by RoPE as it is loaded, the output stored as bf16. */
        @Test void ropeOnQBf16Out() {
            bounded(() -> {
                FusedPrefillAttentionTest t = new FusedPrefillAttentionTest();
                t.chunkAfterCache(CUDA, kernel());
                t.headDim128ScatteredPositions(CUDA, kernel());
                t.keySplitsMergeThenRound(CUDA, kernel());
            });
        }

        static void bounded(Runnable cases) {
            System.setProperty(Mbarrier.DEBUG_SPINS_PROPERTY, "1000000");
            try {
                cases.run();
            } finally {
                System.clearProperty(Mbarrier.DEBUG_SPINS_PROPERTY);
            }
        }
    }
}
