package org.apbj.parallel.strategy;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.bench.BenchPtx;
import org.apbj.kernels.runtime.Devices;
import org.apbj.kernels.runtime.Grid;
import org.apbj.kernels.runtime.SecondQueue;
import org.apbj.kernels.runtime.cuda.CudaDevice;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * On CUDA: what {@link StepTimer} charges to exposed communication is how long the compute stream
 * stood still at a wait (device marks around it), not how long the awaited work took: a wait for
 * work that outlasts the compute stream's own is charged about that work's time; a wait for work
 * that finished while the compute stream was still busy is charged about nothing.
 */
@Tag("gpu")
class CudaExposedTimingTest {
    private static final int N = 1 << 24;   // 64 MiB per array: an add takes tens of microseconds, launching it a few
    private static final int ADDS = 100;
    private static final Grid GRID = Grid.groups(N / 256, 256);

    private static void addInto(CudaDevice d, F32Array y, F32Array x, int times) {
        for (int k = 0; k < times; k++) d.launchCompiled(BenchPtx.SAXPY, "saxpy", GRID, y, x, 1f, N);
    }

    @Test
    void exposedTimeIsTheComputeStreamsStandstillOnly() {
        assumeTrue(Devices.cudaDeviceCount() > 0, "no CUDA device");
        try (CudaDevice d = CudaDevice.open(0); SecondQueue q = d.openSecondQueue(); StepTimer timer = new StepTimer(d, 2);
             F32Array x = d.allocF32(N); F32Array y = d.allocF32(N); F32Array z = d.allocF32(N)) {
            addInto(d, z, x, 5);   // loaded and warm
            d.synchronize();
            double work = d.timeMillis(() -> addInto(d, z, x, ADDS));   // the adds alone, on the compute stream
            // the compute stream waits, idle, for as many adds on the second queue
            q.afterMain();
            q.run(() -> addInto(d, y, x, ADDS));
            timer.time(Phase.PREFILL, 0, Category.EXPOSED_COMMUNICATION, q::mainAfter);
            // the compute stream has as many adds of its own while the second queue does a tenth: the wait is hidden
            q.afterMain();
            q.run(() -> addInto(d, y, x, ADDS / 10));
            addInto(d, z, x, ADDS);
            timer.time(Phase.PREFILL, 1, Category.EXPOSED_COMMUNICATION, q::mainAfter);
            d.synchronize();
            double standing = timer.nanos(Phase.PREFILL, 0, Category.EXPOSED_COMMUNICATION) / 1e6;
            double hidden = timer.nanos(Phase.PREFILL, 1, Category.EXPOSED_COMMUNICATION) / 1e6;
            System.out.printf("%d adds alone %.3f ms; exposed while waiting for as many %.3f ms; for a tenth behind its own %.3f ms%n",
                    ADDS, work, standing, hidden);
            assertTrue(standing > 0.5 * work && standing < 2 * work + 0.5,
                    "a wait for " + ADDS + " adds on the second queue charged " + standing + " ms; they take " + work + " ms alone");
            assertTrue(hidden < 0.1 * work + 0.05, "a wait for work done while the compute stream was busy charged " + hidden + " ms");
        }
    }
}
