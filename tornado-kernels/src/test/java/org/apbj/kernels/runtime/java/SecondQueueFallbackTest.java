package org.apbj.kernels.runtime.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apbj.kernels.api.DeviceArray;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.Kernel;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.DeviceCapabilities;
import org.apbj.kernels.runtime.Devices;
import org.apbj.kernels.runtime.Grid;
import org.apbj.kernels.runtime.SecondQueue;
import org.junit.jupiter.api.Test;

/**
 * {@link Device#openSecondQueue} on a device with one in-order queue: the work runs in place, in
 * the caller's order (so every ordering asked for holds); a CUDA-backed wrapper that does not
 * forward it is refused rather than silently run in order.
 */
class SecondQueueFallbackTest {

    @Test
    void javaDeviceRunsTheWorkInPlaceInOrder() {
        try (Device d = Devices.open("java"); SecondQueue q = d.openSecondQueue(); F32Array a = d.allocF32(4)) {
            assertFalse(q.concurrent());
            List<String> order = new ArrayList<>();
            order.add("main before");
            q.afterMain();
            q.run(() -> {
                order.add("second");
                d.copy(a, 1, F32Array.fromArray(new float[] {7f}), 0, 1);
            });
            q.mainAfter();
            order.add("main after");
            assertEquals(List.of("main before", "second", "main after"), order);
            F32Array back = F32Array.allocate(4);
            d.copy(back, 0, a, 0, 4);
            assertEquals(7f, back.get(1), "the second queue's copy is done when its run returns");
        }
    }

    @Test
    void aCudaWrapperThatDoesNotForwardItIsRefused() {
        Device wrapper = new Device() {
            @Override public Backend backend() { return Backend.CUDA; }
            @Override public String name() { return "a CUDA wrapper"; }
            @Override public DeviceCapabilities capabilities() { return DeviceCapabilities.portable(1024, 1024, 1); }
            @Override public <A extends DeviceArray> A alloc(Class<A> type, long length) { throw new UnsupportedOperationException(); }
            @Override public void copy(DeviceArray dst, long dstIndex, DeviceArray src, long srcIndex, long count) {}
            @Override public void launch(Kernel kernel, Grid grid, Object... args) {}
            @Override public void synchronize() {}
            @Override public MemoryStats memory() { return new MemoryStats(0, 0, 0, 0); }
            @Override public void close() {}
        };
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, wrapper::openSecondQueue);
        assertTrue(e.getMessage().contains("does not implement openSecondQueue"), e.getMessage());
    }
}
