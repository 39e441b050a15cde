package org.apbj.kernels.runtime.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.bench.BenchPtx;
import org.apbj.kernels.runtime.Grid;
import org.apbj.kernels.runtime.Marker;
import org.apbj.kernels.runtime.SecondQueue;
import org.apbj.kernels.testing.TestSeed;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The CUDA second queue ({@link CudaDevice#openSecondQueue}): a stream of the context's greatest
 * priority whose work is ordered with the main stream exactly where the caller asks
 * ({@link SecondQueue#afterMain}, {@link SecondQueue#mainAfter}); allocations and synchronous
 * copies inside its run are safe for both streams. Needs a GPU.
 */
@Tag("gpu")
@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class CudaSecondQueueTest extends OnCudaDevice {
    private static final int N = 1 << 22;
    private static final Grid GRID = Grid.groups(N / 256, 256);
    private final long seed = TestSeed.next();
    private final Random random = new Random(seed);

    private float[] upload(F32Array dst) {
        float[] x = new float[N];
        try (F32Array host = F32Array.allocate(N)) {
            for (int i = 0; i < N; i++) host.set(i, x[i] = (float) random.nextGaussian());
            device.copy(dst, 0, host, 0, N);
        }
        return x;
    }

    private float[] download(F32Array src) {
        try (F32Array host = F32Array.allocate(N)) {
            device.copy(host, 0, src, 0, N);
            return host.toArray();
        }
    }

    /** y += x, {@code times} times, on whichever stream is current. */
    private static void addInto(F32Array y, F32Array x, int times) {
        for (int k = 0; k < times; k++) device.launchCompiled(BenchPtx.SAXPY, "saxpy", GRID, y, x, 1f, N);
    }

    @Test
    void itsStreamHasTheContextsGreatestPriorityAndSoDoPriorityCopyStreams() {
        int[] range = device.streamPriorityRange();
        System.out.println("stream priorities of " + device.name() + ": least " + range[0] + ", greatest " + range[1]);
        assertTrue(range[1] < range[0], "this GPU offers no stream priorities: " + range[0] + ".." + range[1]);
        try (SecondQueue q = device.openSecondQueue();
             CudaCopyQueue fast = CudaCopyQueue.open(device, true);
             CudaCopyQueue plain = CudaCopyQueue.open(device, false)) {
            assertTrue(q.concurrent());
            assertEquals(range[1], device.secondQueuePriority(q));
            assertEquals(range[1], fast.priority());
            assertEquals(range[0], plain.priority(), "a plain communication stream keeps the default (least) priority");
        }
    }

    @Test
    void itsWorkIsOrderedWithTheMainStreamWhereAsked() {
        try (SecondQueue q = device.openSecondQueue(); F32Array x = device.allocF32(N); F32Array y = device.allocF32(N);
             F32Array copy = device.allocF32(N)) {
            float[] hx = upload(x);
            addInto(y, x, 40);                                    // main: y = 40 x, long enough to race anything unordered
            q.afterMain();
            Marker[] marks = new Marker[2];
            q.run(() -> {                                         // second: a copy of y once main's adds are done
                marks[0] = device.mark();
                device.enqueueCopy(copy, 0, y, 0, N);
                addInto(copy, x, 2);                              // = 42 x
                marks[1] = device.mark();
            });
            q.mainAfter();
            addInto(y, x, 1);                                     // main: y = 41 x, only after the second queue read it
            float[] c = download(copy), yy = download(y);
            for (int i = 0; i < N; i += 101) {
                assertEquals(42 * hx[i], c[i], 1e-4f * Math.abs(hx[i]) + 1e-5f, "seed " + seed + ": the second queue's result at " + i);
                assertEquals(41 * hx[i], yy[i], 1e-4f * Math.abs(hx[i]) + 1e-5f, "seed " + seed + ": main's result at " + i);
            }
            long ns = marks[0].nanosUntil(marks[1]);
            assertTrue(ns > 0, "marks inside the run time the second queue's work: " + ns + " ns");
            marks[0].close();
            marks[1].close();
        }
    }

    @Test
    void allocationsAndSynchronousCopiesInsideItsRunSeeBothStreams() {
        try (SecondQueue q = device.openSecondQueue(); F32Array x = device.allocF32(N)) {
            float[] hx = upload(x);
            float[][] seen = new float[1][];
            F32Array[] fresh = new F32Array[1];
            q.run(() -> {
                fresh[0] = device.allocF32(N);                    // zero-filled in order with this queue's work too
                addInto(fresh[0], x, 3);
                seen[0] = download(fresh[0]);                     // a synchronous copy waits for this queue's work
            });
            try (F32Array f = fresh[0]) {
                for (int i = 0; i < N; i += 101) assertEquals(3 * hx[i], seen[0][i], 1e-4f * Math.abs(hx[i]) + 1e-5f, "seed " + seed + " at " + i);
            }
            assertThrows(IllegalStateException.class, () -> q.run(() -> q.run(() -> {})), "runs do not nest");
            assertThrows(IllegalStateException.class, () -> q.run(() -> device.capture(() -> {})), "capture stays on the main stream");
        }
    }
}
