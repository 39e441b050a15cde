package org.apbj.kernels.runtime.cuda;

import org.apbj.kernels.runtime.Devices;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;

/** GPU tests of the CUDA runtime: CUDA device 0, opened once per test class (skipped without one) and closed after it. */
abstract class OnCudaDevice {
    static CudaDevice device;

    @BeforeAll
    static void open() {
        Assumptions.assumeTrue(Devices.cudaDeviceCount() > 0, "no CUDA device");
        device = CudaDevice.open(0);
    }

    @AfterAll
    static void close() {
        if (device != null) device.close();
        device = null;
    }
}
