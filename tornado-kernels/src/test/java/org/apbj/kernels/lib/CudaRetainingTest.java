package org.apbj.kernels.lib;

import org.apbj.kernels.testing.TestSeed;

import static org.apbj.kernels.lib.LibTesting.*;

import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Devices;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The retaining-head and selection checks on the CUDA device (the same references and
 * tolerances as on the other devices): its own class so that scripts/gpu-retaining-run.sh can
 * run just these. Skips where no CUDA device exists.
 */
@Tag("gpu")
@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class CudaRetainingTest {
    private static final Backend CUDA = Backend.CUDA;

    @BeforeAll
    static void needsCuda() {
        Assumptions.assumeTrue(Devices.cudaDeviceCount() > 0, "no CUDA device");
    }

    @Test void fp32PathAndTopK() {
        new RetainingHeadsTest().scoresMatchReference(CUDA);
        new TopKTest().selectsTheSameRowsAsSorting(CUDA);
        new TopKTest().selectsExactlyOnLongSequencesWithPlateaus(CUDA);
        new TopKTest().gatherCopiesEachHeadsChosenRows(CUDA);
    }

    /** The bf16-input GEMM path (wgmma), and the selection it leads to. */
    @Test void bf16PathOnTensorCores() {
        Assumptions.assumeTrue(new KernelOps(device(CUDA), 1024).hasBf16InputGemm(), "no wgmma on this GPU");
        new RetainingHeadsTest().bf16PathMatchesReferenceOfRoundedInputs(CUDA);
        new RetainingHeadsTest().bf16SelectionIsTheExactSelectionUpToRounding(CUDA);
    }
}
