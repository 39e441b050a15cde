package org.apbj.kernels.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.Grid;
import org.apbj.kernels.runtime.Devices;
import org.junit.jupiter.api.Test;

/** WarpGroup.index on the Java device and, compiled, on OpenCL: work-item i of a group is in warpgroup i / 128. */
class WarpGroupIndexTest {
    public static void indices(KernelContext ctx, I32Array out) {
        out.set(ctx.globalIdx, WarpGroup.index(ctx));
    }

    @Test
    void workItemsOfAGroupFallIntoWarpGroupsOf128() {
        for (Backend backend : new Backend[] {Backend.JAVA, Backend.OPENCL}) {
            try (Device device = Devices.open(backend)) {
                I32Array out = device.allocI32(2 * 384);
                device.launch(Kernel.of(WarpGroupIndexTest.class, "indices"), Grid.groups(2, 384), out);
                I32Array host = I32Array.allocate(2 * 384);
                device.copyOut(host, out);
                for (int i = 0; i < 2 * 384; i++) assertEquals((i % 384) / 128, host.get(i), backend + ": work-item " + i);
            }
        }
    }
}
