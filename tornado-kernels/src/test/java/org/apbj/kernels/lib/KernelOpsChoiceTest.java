package org.apbj.kernels.lib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.DeviceCapabilities;
import org.junit.jupiter.api.Test;

/** KernelOps picks the tensor-core kernels by the device's capabilities, whatever the device's class. */
class KernelOpsChoiceTest {

    /** A device that only answers backend, name and capabilities (KernelOps' constructor asks nothing else). */
    private static Device reporting(DeviceCapabilities caps) {
        return (Device) Proxy.newProxyInstance(Device.class.getClassLoader(), new Class<?>[] {Device.class}, (p, m, args) ->
                switch (m.getName()) {
                    case "capabilities" -> caps;
                    case "backend" -> Backend.CUDA;
                    case "name", "toString" -> "reporting device " + caps;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }

    @Test
    void tensorCoresWhereTheHardwareHasThem() {
        assertTrue(new KernelOps(reporting(DeviceCapabilities.cuda(9, 0, 227 * 1024, 1024, 132))).tensorCores());
        assertTrue(new KernelOps(reporting(DeviceCapabilities.cuda(8, 0, 163 * 1024, 1024, 108))).tensorCores());
        assertFalse(new KernelOps(reporting(DeviceCapabilities.cuda(7, 5, 64 * 1024, 1024, 40))).tensorCores());
        assertFalse(new KernelOps(reporting(DeviceCapabilities.portable(64 * 1024, 1024, 8))).tensorCores());
    }

    @Test
    void theFp32PropertyKeepsProjectionsOnFp32() {
        String before = System.getProperty(KernelOps.FP32_GEMM_PROPERTY);
        System.setProperty(KernelOps.FP32_GEMM_PROPERTY, "true");
        try {
            assertFalse(new KernelOps(reporting(DeviceCapabilities.cuda(9, 0, 227 * 1024, 1024, 132))).tensorCores());
        } finally {
            if (before == null) System.clearProperty(KernelOps.FP32_GEMM_PROPERTY);
            else System.setProperty(KernelOps.FP32_GEMM_PROPERTY, before);
        }
        assertEquals(true, new KernelOps(reporting(DeviceCapabilities.cuda(9, 0, 227 * 1024, 1024, 132))).tensorCores());
    }
}
