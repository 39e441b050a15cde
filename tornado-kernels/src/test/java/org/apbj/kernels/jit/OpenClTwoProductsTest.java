package org.apbj.kernels.jit;

import org.apbj.kernels.testing.TestSeed;

import static org.apbj.kernels.corpus.CorpusInputs.bf16Gaussians;
import static org.apbj.kernels.corpus.CorpusInputs.zerosF32;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.Kernel;
import org.apbj.kernels.corpus.CorpusCase;
import org.apbj.kernels.corpus.CorpusRunner;
import org.apbj.kernels.corpus.WarpGroupKernels;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.Devices;
import org.apbj.kernels.runtime.Grid;
import org.junit.jupiter.api.Test;

/**
 * Two {@code WarpGroup.mmaBf16} products per k-slice on one private accumulator array (the
 * 256-row Hopper GEMM tile's pattern, {@link WarpGroupKernels#twoProducts}) on OpenCL match the
 * Java run of the same method bit for bit: both run the same Java body with the same fma order.
 * Guards the OpenCL path that GemmWgmma's mTiles = 2 runs on PoCL.
 */
@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class OpenClTwoProductsTest {

    @Test
    void twoProductsPerSliceMatchJava() {
        int groups = 2, depth = 136;   // three k-tiles, the last one partly zero-filled
        int bRows = WarpGroupKernels.N + 72;   // group 1's B: rows 72… zero, inside its second 64-column block
        CorpusCase c = new CorpusCase(Kernel.of(WarpGroupKernels.class, "twoProducts"),
                Grid.of(groups * WarpGroupKernels.GROUP, WarpGroupKernels.GROUP),
                r -> new Object[] {zerosF32(WarpGroupKernels.ROWS * groups * WarpGroupKernels.N),
                        bf16Gaussians(r, WarpGroupKernels.ROWS * depth), bf16Gaussians(r, groups * WarpGroupKernels.N * depth),
                        depth, bRows},
                new int[] {0}, CorpusCase.Tolerance.EXACT);
        long seed = TestSeed.next();
        try (Device java = Devices.open(Backend.JAVA); Device opencl = Devices.open(Backend.OPENCL)) {
            List<String> problems = CorpusRunner.compare(c, java, opencl, seed);
            assertTrue(problems.isEmpty(), () -> "seed " + seed + ":\n" + String.join("\n", problems));
            // and the OpenCL result is the product (fp64 reference), not merely the Java run's
            Object[] host = c.inputs().apply(new Random(seed));
            F32Array d = (F32Array) CorpusRunner.run(c, opencl, host)[0];
            checkAgainstFp64(seed, (BF16Array) host[1], (BF16Array) host[2], depth, bRows, groups * WarpGroupKernels.N, d);
        }
    }

    /** Each element within fp32 accumulation's bound (k+2)·u·Σ|products| of the fp64 sum. */
    private static void checkAgainstFp64(long seed, BF16Array a, BF16Array b, int depth, int bRows, int width, F32Array d) {
        for (int row = 0; row < WarpGroupKernels.ROWS; row++) {
            for (int col = 0; col < width; col++) {
                double sum = 0, abs = 0;
                for (int k = 0; col < bRows && k < depth; k++) {
                    double p = (double) a.getFloat((long) row * depth + k) * b.getFloat((long) col * depth + k);
                    sum += p;
                    abs += Math.abs(p);
                }
                double got = d.get((long) row * width + col), tol = (depth + 2) * 0x1p-24 * abs;
                int r = row, cc = col;
                double want = sum;
                assertTrue(Math.abs(got - want) <= tol, () -> "seed " + seed + ": D[" + r + "][" + cc + "] = " + got + ", fp64 " + want);
            }
        }
    }
}
