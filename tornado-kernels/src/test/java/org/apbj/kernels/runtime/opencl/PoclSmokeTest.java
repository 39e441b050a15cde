package org.apbj.kernels.runtime.opencl;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;

import org.apbj.kernels.runtime.DeviceUnavailableException;
import org.junit.jupiter.api.Test;

/**
 * CI's OpenCL is PoCL: this finds its platform through libOpenCL.so.1 via FFM, or fails saying
 * exactly what is missing (./apbj test installs pocl-opencl-icd and ocl-icd-libopencl1).
 */
class PoclSmokeTest {

    @Test
    void poclPlatformIsVisibleThroughTheIcdLoader() {
        OpenCL cl;
        try {
            cl = OpenCL.get();
        } catch (DeviceUnavailableException e) {
            fail("PoCL smoke test: " + e.getMessage());
            return;
        }
        List<OpenCL.PlatformInfo> platforms = cl.describePlatforms();
        if (platforms.isEmpty()) {
            fail("PoCL smoke test: " + OpenCL.LIBRARY + " loaded but lists no OpenCL platform: no ICD is registered in"
                    + " /etc/OpenCL/vendors; install pocl-opencl-icd");
        }
        OpenCL.PlatformInfo pocl = platforms.stream()
                .filter(p -> p.name().contains("Portable Computing Language") || p.vendor().toLowerCase().contains("pocl"))
                .findFirst().orElse(null);
        if (pocl == null) {
            fail("PoCL smoke test: platforms found, but none is PoCL: "
                    + platforms.stream().map(OpenCL.PlatformInfo::describe).toList() + "; install pocl-opencl-icd");
        }
        assertFalse(pocl.devices().isEmpty(), "PoCL platform without devices: " + pocl.describe());
        try (OpenCLDevice device = OpenCLDevice.open("pocl")) {
            assertTrue(device.name().contains("Portable Computing Language"), device.name());
            assertTrue(device.memory().totalBytes() > 0, "PoCL reports its global memory");
            System.out.println("PoCL: " + pocl.describe() + "; fp64 " + device.supportsFp64() + ", fp16 " + device.supportsFp16());
        }
    }
}
