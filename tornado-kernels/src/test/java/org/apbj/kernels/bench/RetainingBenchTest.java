package org.apbj.kernels.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apbj.kernels.lib.KernelOps;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.Devices;
import org.junit.jupiter.api.Test;

/**
 * RetainingBench end to end on the Java device at a tiny shape: every part of the layer runs, the
 * device top-k of the bench's own scores equals a host sort (the bench throws otherwise), and the
 * share it reports is a share. What the GPU run will execute, checked before it gets there.
 */
class RetainingBenchTest {

    @Test
    void runsTheLayerAndChecksItsSelection() {
        try (Device d = Devices.open("java")) {
            KernelOps ops = new KernelOps(d, 128);
            double share = RetainingBench.run(d, ops, new RetainingBench.Shape(4, 2, 64, 64, 128, 32), 1024, 4, 64, 1);
            assertTrue(share > 0 && share < 100, "retaining share " + share + "%");
            ops.close();
        }
    }
}
