package org.apbj.kernels.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apbj.kernels.runtime.cuda.CudaDevice;
import org.junit.jupiter.api.Test;

class DevicesTest {

    @Test
    void specsOpenTheNamedBackend() {
        try (Device d = Devices.open("java:3")) {
            assertEquals(Backend.JAVA, d.backend());
            assertTrue(d.name().contains("3 threads"), d.name());
        }
        try (Device d = Devices.open("opencl:pocl:0")) {
            assertEquals(Backend.OPENCL, d.backend());
            assertTrue(d.name().contains("Portable Computing Language"), d.name());
        }
        try (Device d = Devices.open("OpenCL:0")) {
            assertEquals(Backend.OPENCL, d.backend());
        }
    }

    @Test
    void badSpecsSayWhatIsAccepted() {
        var unknown = assertThrows(IllegalArgumentException.class, () -> Devices.open("tpu"));
        assertTrue(unknown.getMessage().contains("cuda[:N]"), unknown.getMessage());
        var platform = assertThrows(DeviceUnavailableException.class, () -> Devices.open("opencl:no-such-vendor"));
        assertTrue(platform.getMessage().contains("Portable Computing Language"), "lists the platforms: " + platform.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Devices.open("cuda:x"));
    }

    @Test
    void checkValidatesASpecWithoutOpeningIt() {
        assertEquals("auto", Devices.check("auto"));
        assertEquals("java (2 threads)", Devices.check("java:2"));
        assertTrue(Devices.check("opencl:0:0").startsWith("opencl:0:0 "), Devices.check("opencl:0:0"));
        var threads = assertThrows(IllegalArgumentException.class, () -> Devices.check("java:0"));
        assertTrue(threads.getMessage().contains("at least 1 thread"), threads.getMessage());
        var platform = assertThrows(IllegalArgumentException.class, () -> Devices.check("opencl:9"));
        assertTrue(platform.getMessage().contains("no OpenCL platform 9"), platform.getMessage());
        var device = assertThrows(IllegalArgumentException.class, () -> Devices.check("opencl:0:9"));
        assertTrue(device.getMessage().contains("has no device 9"), device.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Devices.check("tpu"));
        if (Devices.cudaDeviceCount() == 0) assertThrows(DeviceUnavailableException.class, () -> Devices.check("cuda:0"));
    }

    @Test
    void bestHonoursTheOverride() {
        String old = System.getProperty(Devices.DEVICE_PROPERTY);
        System.setProperty(Devices.DEVICE_PROPERTY, "java:2");
        try (Device d = Devices.best()) {
            assertEquals(Backend.JAVA, d.backend());
        } finally {
            if (old == null) System.clearProperty(Devices.DEVICE_PROPERTY);
            else System.setProperty(Devices.DEVICE_PROPERTY, old);
        }
    }

    @Test
    void bestPicksCudaThenOpenCL() {
        if (System.getProperty(Devices.DEVICE_PROPERTY) != null || System.getenv("APBJ_DEVICE") != null) return;
        try (Device d = Devices.best()) {
            assertEquals(Devices.cudaDeviceCount() > 0 ? Backend.CUDA : Backend.OPENCL, d.backend(), d.name());
        }
    }

    @Test
    void cudaWithoutAGpuFailsClearly() {
        if (Devices.cudaDeviceCount() > 0) return;   // covered by the GPU tests there
        var e = assertThrows(DeviceUnavailableException.class, () -> CudaDevice.open(0));
        assertTrue(e.getMessage().contains("libcuda.so.1") || e.getMessage().contains("no GPU"), e.getMessage());
        assertThrows(DeviceUnavailableException.class, () -> Devices.open("cuda:1"));
    }

    @Test
    void aJavaDeviceWithAMemorySizeBehavesLikeADeviceOfThatSize() {
        try (Device d = Devices.open("java:1:1m")) {
            assertEquals(1L << 20, d.memory().totalBytes());
            var a = d.allocF32(200_000);   // 800,000 bytes
            assertEquals((1L << 20) - 800_000, d.memory().freeBytes());
            var e = assertThrows(DeviceMemoryException.class, () -> d.allocF32(100_000));
            assertTrue(e.getMessage().contains("asked") && e.getMessage().contains("free"), e.getMessage());
            a.close();
            d.allocF32(100_000).close();
        }
        assertThrows(IllegalArgumentException.class, () -> Devices.open("java:1:lots"));
    }
}
