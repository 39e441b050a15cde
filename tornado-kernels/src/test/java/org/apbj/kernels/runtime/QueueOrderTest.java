package org.apbj.kernels.runtime;

import org.apbj.kernels.api.Kernel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.KernelContext;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Work enqueued without waiting: {@link Device#enqueueCopy} (the host source is free when it
 * returns, later launches see the data), {@link Device#mark()} timing, and
 * {@link Device#preparationNanos()} growing on a kernel's first launch only. On the Java device
 * and on PoCL (the CUDA device: CudaDeviceTest, tagged gpu).
 */
public class QueueOrderTest {

    public static void scaleAdd(KernelContext ctx, F32Array y, F32Array x, float a, int n) {
        int i = ctx.globalIdx;
        if (i < n) y.set(i, a * x.get(i) + y.get(i));
    }

    static final Kernel SCALE_ADD = Kernel.of(QueueOrderTest.class, "scaleAdd");

    @ParameterizedTest
    @ValueSource(strings = {"java:2", "opencl:pocl"})
    void queuedCopiesAndLaunchesRunInOrderAndTheHostSourceIsFreeOnReturn(String spec) {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom r = new SplittableRandom(seed);
        int n = 10_000;
        try (Device d = Devices.open(spec); F32Array host = F32Array.allocate(n); F32Array back = F32Array.allocate(n)) {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) host.set(i, x[i] = (float) r.nextGaussian());
            F32Array dx = d.allocF32(n), dy = d.allocF32(n), dz = d.allocF32(n);
            d.enqueueCopy(dx, 0, host, 0, n);
            for (int i = 0; i < n; i++) host.set(i, -1e9f);       // the copy has taken the source already
            d.enqueueCopy(dy, 0, dx, 0, n);                      // y = x
            d.launch(SCALE_ADD, Grid.groups((n + 63) / 64, 64), dy, dx, 2f, n);   // y = 2x + x
            d.enqueueCopy(dz, 1, dy, 0, n - 1);                  // z = y shifted by one
            d.copy(back, 0, dz, 0, n);
            assertEquals(0f, back.get(0), spec + " seed " + seed);
            for (int i = 1; i < n; i++) {
                assertEquals(3 * x[i - 1], back.get(i), 1e-5f * Math.abs(x[i - 1]) + 1e-6f, spec + " seed " + seed + " element " + i);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"java:2", "opencl:pocl"})
    void marksMeasureTheWorkBetweenThemWithinTheWallTime(String spec) {
        int n = 1 << 20;
        try (Device d = Devices.open(spec)) {
            F32Array x = d.allocF32(n), y = d.allocF32(n);
            d.launch(SCALE_ADD, Grid.groups((n + 63) / 64, 64), y, x, 1f, n);   // compiled before timing
            d.synchronize();
            long w0 = System.nanoTime();
            try (Marker a = d.mark()) {
                for (int i = 0; i < 20; i++) d.launch(SCALE_ADD, Grid.groups((n + 63) / 64, 64), y, x, 1f, n);
                try (Marker b = d.mark()) {
                    long busy = a.nanosUntil(b);
                    long wall = System.nanoTime() - w0;
                    assertTrue(busy > 0 && busy <= wall, spec + ": 20 launches took " + busy + " ns between the marks, "
                            + wall + " ns of wall time");
                    assertEquals(-busy, b.nanosUntil(a), Math.max(1, busy / 1_000_000) + 1_000, spec
                            + ": the distance the other way round is the negative");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"java:2", "opencl:pocl"})
    void marksOfDifferentDevicesDoNotMix(String spec) {
        try (Device d = Devices.open(spec); Device other = Devices.open("opencl:pocl");
             Marker a = d.mark(); Marker b = other.mark()) {
            assertThrows(IllegalArgumentException.class, () -> a.nanosUntil(b), spec + " mark against a PoCL mark");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"java:2", "opencl:pocl"})
    void preparationIsBookedOnTheFirstLaunchOnly(String spec) {
        int n = 256;
        try (Device d = Devices.open(spec)) {
            F32Array x = d.allocF32(n), y = d.allocF32(n);
            long before = d.preparationNanos();
            d.launch(SCALE_ADD, Grid.groups((n + 63) / 64, 64), y, x, 1f, n);
            long first = d.preparationNanos();
            d.launch(SCALE_ADD, Grid.groups((n + 63) / 64, 64), y, x, 2f, n);
            d.synchronize();
            assertEquals(0, before, spec);
            if (d.backend() == Backend.JAVA) {
                assertEquals(0, first, "the Java device runs the method itself: nothing to prepare");
            } else {
                assertTrue(first > 0, spec + ": building the program on a fresh device takes time, booked " + first);
            }
            assertEquals(first, d.preparationNanos(), spec + ": a second launch of the same kernel prepares nothing");
        }
    }
}
