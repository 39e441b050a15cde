package org.apbj.model;

import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.Devices;

/** Opens the devices the model tests run on. */
public final class TestDevices {
    private TestDevices() {}

    /** Opens {@code spec} ("java", "opencl", "cuda"); a compile or device error fails the test. */
    public static Device open(String spec) {
        return Devices.open(spec);
    }

    /** The device of the tests that need a fast one: -Dapbj.test.device, default PoCL ("opencl"). */
    public static String fastSpec() {
        return System.getProperty("apbj.test.device", "opencl");
    }
}
