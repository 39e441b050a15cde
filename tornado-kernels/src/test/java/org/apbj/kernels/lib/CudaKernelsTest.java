package org.apbj.kernels.lib;

import org.apbj.kernels.testing.TestSeed;

import static org.apbj.kernels.lib.LibTesting.*;

import java.util.Random;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.Devices;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every kernel-library check on the CUDA device (the same references and tolerances as on the
 * other devices), plus timings of the two kernels that dominate prefill. The wgmma attention
 * kernels: {@link HopperAttentionCudaTest}; {@link FlashAttentionFa2}: {@link Sm80AttentionCudaTest}; the few-row
 * products: {@link MatvecCudaTest}. Runs with
 * {@code ./apbj test-gpu}; skips where no CUDA device exists.
 */
@Tag("gpu")
@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class CudaKernelsTest {
    private static final Backend CUDA = Backend.CUDA;

    @BeforeAll
    static void needsCuda() {
        Assumptions.assumeTrue(Devices.cudaDeviceCount() > 0, "no CUDA device");
    }

    @Test void gemm() {
        GemmTest t = new GemmTest();
        t.tiledMatmulMatchesReference(CUDA);
        t.tiledMatmulBf16Output(CUDA);
        t.tensorCoreMatmulMatchesReference(CUDA);
        t.tensorCoreMatmulBf16Output(CUDA);
        t.tensorCoreMatmulDeep(CUDA);
    }

    /** The Hopper GEMM (wgmma), on devices that have it. */
    @Test void bf16InputGemm() {
        Assumptions.assumeTrue(new KernelOps(device(CUDA), 1024).hasBf16InputGemm(), "no wgmma on this GPU");
        GemmTest t = new GemmTest();
        t.bf16InputMatmulMatchesReference(CUDA);
        t.bf16InputMatmulDeep(CUDA);
        t.swiGluMatmulMatchesReference(CUDA);
        t.swiGluMatmulDeep(CUDA);
    }

    /**
     * The TMA-fed, warp-specialised Hopper GEMM, compiled with a bound on its mbarrier waits: a
     * hand-off that never completes (a copy that delivers fewer bytes than armed, a register
     * split setmaxnreg cannot satisfy) traps and fails the test instead of hanging the GPU.
     */
    @Test void tmaGemm() {
        Assumptions.assumeTrue(new KernelOps(device(CUDA), 1024).hasBf16InputGemm(), "no wgmma on this GPU");
        System.setProperty(KernelOps.GEMM_KERNEL_PROPERTY, "tma");
        System.setProperty(org.apbj.kernels.api.Mbarrier.DEBUG_SPINS_PROPERTY, "1000000");
        try {
            GemmTest t = new GemmTest();
            t.bf16InputMatmulMatchesReference(CUDA);
            t.bf16InputMatmulDeep(CUDA);
            t.swiGluMatmulMatchesReference(CUDA);
        } finally {
            System.clearProperty(KernelOps.GEMM_KERNEL_PROPERTY);
            System.clearProperty(org.apbj.kernels.api.Mbarrier.DEBUG_SPINS_PROPERTY);
        }
    }

    @Test void attention() {
        AttentionTest t = new AttentionTest();
        for (AttentionTest.AttentionKernel kernel : new AttentionTest.AttentionKernel[] {
                AttentionTest.AttentionKernel.FP32, AttentionTest.AttentionKernel.TENSOR_CORES}) {
            attentionCases(t, kernel);
        }
    }

    /** Every attention case of {@link AttentionTest} on the CUDA device with one kernel. */
    static void attentionCases(AttentionTest t, AttentionTest.AttentionKernel kernel) {
        t.plainCausal(CUDA, kernel);
        t.apbMaskWithOddBlocks(CUDA, kernel);
        t.apbMaskHeadDim128(CUDA, kernel);
        t.apbMaskManyTiles(CUDA, kernel);
        t.nonCausalSeesAllKeys(CUDA, kernel);
        t.nonCausalQueriesAgainstForeignBlock(CUDA, kernel);
        t.fewQueriesSplitOverKeys(CUDA, kernel);
    }

    @Test void elementwise() {
        ElementwiseKernelsTest t = new ElementwiseKernelsTest();
        t.embeddingGathersRowsExactly(CUDA);
        t.rmsNormMatchesReference(CUDA);
        t.ropeRotatesPairsAtArbitraryPositions(CUDA);
        t.swiGluMatchesReference(CUDA);
    }

    /** The retaining heads and top-k are in {@link CudaRetainingTest}. */
    @Test void mergeAndSampling() {
        new LseMergeTest().mergeOfDisjointKeySetsEqualsAttentionOverTheUnion(CUDA);
        new LseMergeTest().attentionOverSplitKeysMergesToFullAttention(CUDA);
        new SamplingTest().argmaxTakesTheLowestIndexOfTheLargest(CUDA);
        new SamplingTest().samplesTheInverseCdfOfTheNucleus(CUDA);
    }

    /**
     * Llama-3-8B shapes: a 4096×4096 projection and the FFN up projection over 4096 tokens, on
     * the fp32 kernel and on the tensor-core kernel.
     */
    @Test void gemmThroughput() {
        Device d = device(CUDA);
        Random r = random("gemmThroughput");
        for (boolean tensorCores : new boolean[] {false, true}) {
            gemmThroughput(d, new KernelOps(d, 1024, tensorCores), r, tensorCores ? "matmul (tensor cores)" : "matmul (fp32)");
        }
    }

    private static void gemmThroughput(Device d, KernelOps ops, Random r, String what) {
        for (int[] shape : new int[][] {{4096, 4096, 4096}, {4096, 14336, 4096}, {4096, 4096, 14336}}) {
            int rows = shape[0], n = shape[1], k = shape[2];
            F32Array x = d.allocF32((long) rows * k);
            d.copyIn(x, F32Array.fromArray(gaussians(r, rows * k, 1)));
            BF16Array w = d.allocBF16((long) n * k);
            F32Array y = d.allocF32((long) rows * n);
            ops.matmul(y, 0, x, 0, w, null, rows, n, k, false);   // compile and warm up
            d.synchronize();
            int reps = 5;
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) ops.matmul(y, 0, x, 0, w, null, rows, n, k, false);
            d.synchronize();
            double s = (System.nanoTime() - t0) / 1e9 / reps;
            System.out.printf("%s %dx%dx%d: %.2f ms, %.1f TFLOP/s%n", what, rows, n, k, s * 1e3, 2.0 * rows * n * k / s / 1e12);
            x.close();
            w.close();
            y.close();
        }
    }

    /**
     * Causal attention, 32 heads / 8 KV heads of 128: dense prefill of 8K, the APB shape of one
     * host at 128K context, decoding one token after 128K, a 64-token query after a 16K block.
     */
    @Test void attentionThroughput() {
        Device d = device(CUDA);
        KernelOps ops = new KernelOps(d);
        int nH = 32, nKv = 8, hd = 128;
        for (int[] pab : new int[][] {{0, 0, 8192}, {14336, 4096, 16384}, {131072, 0, 1}, {16384, 0, 64}}) {
            int p = pab[0], a = pab[1], b = pab[2];
            int nq = a + b, keys = p + a + b;
            F32Array q = d.allocF32((long) nq * nH * hd);
            BF16Array k = d.allocBF16((long) keys * nKv * hd), v = d.allocBF16((long) keys * nKv * hd);
            F32Array out = d.allocF32((long) nq * nH * hd), lse = d.allocF32((long) nq * nH);
            ops.attention(q, nq, k, v, p, a, b, true, nH, nKv, hd, out, lse);
            d.synchronize();
            int reps = 3;
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) ops.attention(q, nq, k, v, p, a, b, true, nH, nKv, hd, out, lse);
            d.synchronize();
            double s = (System.nanoTime() - t0) / 1e9 / reps;
            // visible (query, key) pairs: anchor rows see i+1 keys, B rows p + a + j + 1
            double pairs = (double) a * (a + 1) / 2 + (double) b * (p + a) + (double) b * (b + 1) / 2;
            System.out.printf("attention p=%d a=%d b=%d: %.2f ms, %.1f TFLOP/s (4·d flops per visible pair and head)%n",
                    p, a, b, s * 1e3, 4.0 * hd * nH * pairs / s / 1e12);
            q.close();
            k.close();
            v.close();
            out.close();
            lse.close();
        }
    }
}
