package org.apbj.kernels.lib;

import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Devices;
import org.apbj.kernels.testing.TestSeed;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The few-row products on the CUDA device, with the references and tolerances of the other
 * devices ({@link GemmTest}, {@link MatvecTest}): the unsplit {@link Matvec} kernels, the
 * split-k one-row kernels and the tensor-core {@link MatvecTc}, on ragged shapes and at the 8B
 * decode shapes. Runs with {@code ./apbj test-gpu} and scripts/gpu-matvec-run.sh; skips where no
 * CUDA device exists.
 */
@Tag("gpu")
@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class MatvecCudaTest {
    private static final Backend CUDA = Backend.CUDA;

    @BeforeAll
    static void needsCuda() {
        Assumptions.assumeTrue(Devices.cudaDeviceCount() > 0, "no CUDA device");
    }

    /** The unsplit kernels: every row count they specialise, the 8B shapes, SwiGLU, q/k/v + RoPE. */
    @Test void unsplit() {
        GemmTest g = new GemmTest();
        g.matvecMatchesReference(CUDA);
        g.matvecDecodeShapes(CUDA);
        MatvecTest t = new MatvecTest();
        t.swiGluMatchesReference(CUDA);
        t.qkvRopeMatchesReference(CUDA);
        t.qkvRopeDecodeShape(CUDA);   // the split q/k/v kernel at the 8B shape too
    }

    /** k split 1, 2, 4 and 8 ways for one row (plain, bf16 out, q/k/v + RoPE). */
    @Test void split() {
        new MatvecTest().splitMatchesReference(CUDA);
    }

    /** MatvecTc for every row count 1..8 on ragged shapes, then both new forms at the 8B decode shapes. */
    @Test void tensorCoresAndDecodeShapes() {
        MatvecTest t = new MatvecTest();
        t.tensorCoreMatchesReference(CUDA);
        t.fewRowDecodeShapes(CUDA);
    }
}
