package org.apbj.kernels.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every device answers what its hardware offers; CUDA's answer follows its compute capability. */
class DeviceCapabilitiesTest {

    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"JAVA", "OPENCL"})
    void portableDevicesRunTheJavaMeaningOfTheIntrinsics(Backend backend) {
        try (Device d = Devices.open(backend)) {
            DeviceCapabilities c = d.capabilities();
            assertEquals(0, c.computeCapability(), d.name());
            assertFalse(c.tensorCores(), d.name());
            assertFalse(c.asyncCopy(), d.name());
            // Every library kernel runs groups of up to 1024 with tens of KB of shared memory.
            assertTrue(c.maxThreadsPerGroup() >= 256, () -> d.name() + ": " + c);
            assertTrue(c.sharedBytesPerGroup() >= 32 * 1024, () -> d.name() + ": " + c);
            assertTrue(c.computeUnits() >= 1, () -> d.name() + ": " + c);
        }
    }

    @Test
    void cudaFeaturesFollowTheComputeCapability() {
        DeviceCapabilities turing = DeviceCapabilities.cuda(7, 5, 64 * 1024, 1024, 40);
        assertEquals(75, turing.computeCapability());
        assertFalse(turing.tensorCores() || turing.asyncCopy(), turing::toString);
        DeviceCapabilities ampere = DeviceCapabilities.cuda(8, 6, 99 * 1024, 1024, 84);
        assertTrue(ampere.tensorCores() && ampere.asyncCopy(), ampere::toString);
        DeviceCapabilities hopper = DeviceCapabilities.cuda(9, 0, 227 * 1024, 1024, 132);
        assertEquals(90, hopper.computeCapability());
        assertTrue(hopper.tensorCores() && hopper.asyncCopy(), hopper::toString);
    }

    @Test
    void rejectsNonsense() {
        var e = assertThrows(IllegalArgumentException.class, () -> DeviceCapabilities.portable(-1, 1024, 1));
        assertTrue(e.getMessage().contains("out of range"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DeviceCapabilities.portable(1024, 0, 1));
    }

    /** On a GPU (./apbj test-gpu): the driver's answer for device 0 (an H200 is sm_90 with 227 KB of shared memory per block). */
    @Test
    @Tag("gpu")
    void cudaDeviceReportsItsComputeCapability() {
        try (Device d = Devices.open(Backend.CUDA)) {
            DeviceCapabilities c = d.capabilities();
            System.out.println(d.name() + ": " + c);
            assertTrue(c.computeCapability() >= 50, c::toString);
            assertTrue(d.name().contains("sm_" + c.computeCapability()), () -> d.name() + " vs " + c);
            assertEquals(c.computeCapability() >= DeviceCapabilities.AMPERE, c.tensorCores(), c::toString);
            assertTrue(c.sharedBytesPerGroup() >= 48 * 1024 && c.maxThreadsPerGroup() == 1024 && c.computeUnits() > 0, c::toString);
        }
    }
}
