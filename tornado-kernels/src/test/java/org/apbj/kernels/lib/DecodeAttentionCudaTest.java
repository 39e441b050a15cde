package org.apbj.kernels.lib;

import static org.apbj.kernels.lib.LibTesting.random;

import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.Devices;
import org.apbj.kernels.testing.TestSeed;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link DecodeAttentionTest}'s cases on CUDA device 0 (the PTX kernel: cp.async, ldmatrix, mma)
 * against the same fp64 reference, plus a long ragged cache split 33 ways (both merges) and a
 * cache split 64 ways. Skipped without a GPU.
 */
@Tag("gpu")
@ExtendWith(TestSeed.class)
class DecodeAttentionCudaTest {

    @Test
    void decodeShapesOnCuda() {
        Assumptions.assumeTrue(Devices.cudaDeviceCount() > 0, "no CUDA device");
        try (Device d = Devices.open("cuda")) {
            Backend b = Backend.CUDA;
            DecodeAttentionTest.check(b, d, random("cuda decode gqa"), 1, 524, 523, 0, true, 8, 2, 128);
            DecodeAttentionTest.check(b, d, random("cuda few rows"), 3, 301, 298, 0, true, 4, 1, 64);
            DecodeAttentionTest.check(b, d, random("cuda phase 2"), 5, 600, 0, 0, false, 8, 2, 128);
            DecodeAttentionTest.check(b, d, random("cuda anchors"), 4, 564, 560, 2, true, 14, 2, 64);
            DecodeAttentionTest.check(b, d, random("cuda no keys"), 2, 0, 0, 0, false, 4, 2, 64);
            DecodeAttentionTest.check(b, d, random("cuda long ragged cache"), 1, 20001, 20000, 0, true, 32, 8, 128);
            // 64 key splits (the most)
            DecodeAttentionTest.check(b, d, random("cuda 64 splits"), 1, 20200, 20199, 0, true, 2, 1, 64);
        }
    }
}
