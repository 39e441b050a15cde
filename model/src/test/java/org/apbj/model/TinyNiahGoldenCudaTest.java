package org.apbj.model;

import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.Devices;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;

/** The tiny-niah golden checks on CUDA device 0; skipped where there is none. */
@Tag("gpu")
class TinyNiahGoldenCudaTest extends TinyNiahGoldenChecks {
    @Override
    Device openDevice() {
        Assumptions.assumeTrue(Devices.cudaDeviceCount() > 0, "no CUDA device here");
        return TestDevices.open("cuda");
    }
}
