package org.apbj.model;

import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.Devices;
import org.apbj.kernels.runtime.KernelCompilers;
import org.junit.jupiter.api.Assumptions;

/** Opens the devices the model tests run on. */
public final class TestDevices {
    private TestDevices() {}

    /**
     * Opens {@code spec}. OpenCL and CUDA devices run compiled kernels: while the kernel compiler
     * is not part of the build those tests are skipped with that reason (never run elsewhere).
     */
    public static Device open(String spec) {
        if (!spec.startsWith("java")) {
            Assumptions.assumeTrue(KernelCompilers.available(),
                    "the kernel compiler (org.apbj.kernels.jit) is not in this build: " + spec + " cannot run kernels");
        }
        return Devices.open(spec);
    }

    /** The device of the tests that need a fast one: -Dapbj.test.device, default PoCL ("opencl"). */
    public static String fastSpec() {
        return System.getProperty("apbj.test.device", "opencl");
    }
}
