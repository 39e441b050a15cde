package org.apbj.kernels.lib;

import static org.apbj.kernels.lib.LibTesting.*;

import java.util.Random;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.Kernel;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.Grid;
import org.apbj.kernels.testing.TestSeed;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link org.apbj.kernels.api.WarpGroup#mmaBf16RegA} against an fp64 product: A's register
 * layout, B's by-rows swizzled layout across two 64-column blocks and the accumulate flag.
 * Products of bf16 values are exact in fp32; the sums of 16 of them (twice) err by a few fp32
 * ulps of Σ|a·b|, so 1e-5·(1 + Σ|a·b|) fails any layout error (which moves results by ~1).
 */
@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class WarpGroupRegATest {
    static final Kernel PRODUCT = Kernel.of(WarpGroupRegAKernels.class, "product");

    static java.util.List<Backend> backends() { return LibTesting.backends(); }

    @ParameterizedTest
    @MethodSource("backends")
    void productMatchesReference(Backend backend) {
        Random r = random("WarpGroupRegA " + backend);
        Device dev = device(backend);
        int n = WarpGroupRegAKernels.N;
        float[] a = bf16Gaussians(r, 64 * 16, 1.0), b = bf16Gaussians(r, 16 * n, 1.0), c = gaussians(r, 64 * n, 1.0);
        double[] want = new double[64 * n], tol = new double[64 * n];
        for (int i = 0; i < 64; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0, abs = 0;
                for (int k = 0; k < 16; k++) {
                    sum += (double) a[i * 16 + k] * b[k * n + j];
                    abs += Math.abs((double) a[i * 16 + k] * b[k * n + j]);
                }
                want[i * n + j] = c[i * n + j] + 2 * sum;
                tol[i * n + j] = 1e-5 * (1 + 2 * abs + Math.abs(c[i * n + j]));
            }
        }
        F32Array d = dev.allocF32(64L * n);
        dev.launch(PRODUCT, Grid.of(128, 128), d, bf16(dev, a), bf16(dev, b), f32(dev, c));
        dev.synchronize();
        assertClose("mmaBf16RegA 64x" + n + "x16 on " + backend, want, read(dev, d), tol);
    }
}
