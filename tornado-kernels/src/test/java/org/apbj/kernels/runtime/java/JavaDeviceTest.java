package org.apbj.kernels.runtime.java;

import org.apbj.kernels.testing.TestSeed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Random;
import java.util.concurrent.CountDownLatch;

import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.Kernel;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.Grid;
import org.apbj.kernels.runtime.KernelLaunchException;
import org.apbj.kernels.runtime.java.KernelFeatures.Feature;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class JavaDeviceTest {
    private final JavaDevice device = new JavaDevice();
    private final Random random = new Random(TestSeed.next());

    @AfterEach
    void close() { device.close(); }

    private static Kernel k(String name) { return Kernel.of(JavaTestKernels.class, name); }

    private F32Array randomFloats(int n) {
        F32Array a = device.allocF32(n);
        for (int i = 0; i < n; i++) a.set(i, (float) random.nextGaussian());
        return a;
    }

    @Test
    void saxpyMatchesDoubleReference() {
        int n = 10_000;
        F32Array x = randomFloats(n), y = randomFloats(n);
        float[] y0 = y.toArray();
        float a = (float) random.nextGaussian();
        device.launch(k("saxpy"), Grid.groups((n + 127) / 128, 128), y, x, a, n);
        for (int i = 0; i < n; i++) {
            double want = (double) a * x.get(i) + y0[i];
            assertEquals(want, y.get(i), 1e-5 * (1 + Math.abs(want)), "element " + i);
        }
    }

    @Test
    void everyWorkItemRunsOnceWithItsIdsIn3d() {
        Grid grid = Grid.of(8, 6, 4, 4, 3, 2);
        int total = 8 * 6 * 4;
        I32Array out = device.allocI32(4L * total);
        device.launch(k("ids"), grid, out);
        for (int z = 0; z < 4; z++) {
            for (int y = 0; y < 6; y++) {
                for (int x = 0; x < 8; x++) {
                    int i = (z * 6 + y) * 8 + x;
                    assertEquals(x % 4 + 100 * (y % 3) + 10000 * (z % 2), out.get(4 * i), "local ids of " + i);
                    assertEquals(x / 4 + 100 * (y / 3) + 10000 * (z / 2), out.get(4 * i + 1), "group ids of " + i);
                    assertEquals(4 + 100 * 3 + 10000 * 2, out.get(4 * i + 2), "local sizes");
                    assertEquals(1, out.get(4 * i + 3), "work-item " + i + " must run exactly once");
                }
            }
        }
    }

    @Test
    void sharedMemoryTreeReductionWithBarriers() {
        int groups = 12, local = 256;
        F32Array in = randomFloats(groups * local);
        F32Array out = device.allocF32(groups);
        device.launch(k("groupSum"), Grid.groups(groups, local), out, in);
        for (int g = 0; g < groups; g++) {
            double want = 0;
            for (int i = 0; i < local; i++) want += in.get(g * local + i);
            assertEquals(want, out.get(g), 1e-4 * local, "group " + g);
        }
    }

    @Test
    void sharedArraysAreSharedPerGroupAndBarrierInStaticCalleeIsFound() {
        assertEquals(EnumSet.of(Feature.SHARED_MEMORY, Feature.BARRIER),
                EnumSet.copyOf(KernelFeatures.of(k("reverseInGroup").method())));
        int groups = 5, local = 64;
        F32Array in = randomFloats(groups * local), out = device.allocF32(groups * local);
        I32Array src = device.allocI32(groups * local);
        device.launch(k("reverseInGroup"), Grid.groups(groups, local), out, in, src);
        for (int g = 0; g < groups; g++) {
            for (int t = 0; t < local; t++) {
                int from = g * local + local - 1 - t;
                assertEquals(in.get(from), out.get(g * local + t));
                assertEquals(from, src.get(g * local + t));
            }
        }
    }

    @Test
    void barriersOrderSharedWritesOverManyRounds() {
        int groups = 6, local = 128, rounds = 50;
        I32Array errors = device.allocI32(groups * local);
        errors.fill(-1);
        device.launch(k("barrierRounds"), Grid.groups(groups, local), errors, rounds);
        for (int i = 0; i < groups * local; i++) assertEquals(0, errors.get(i), "stale reads in work-item " + i);
    }

    @Test
    void independentKernelsHaveNoFeatures() {
        assertTrue(KernelFeatures.of(k("saxpy").method()).isEmpty());
        assertEquals(EnumSet.of(Feature.WARP), EnumSet.copyOf(KernelFeatures.of(k("warpSums").method())));
    }

    @Test
    void shufflesBroadcastsAndIntMaxFollowTheirDefinitions() {
        int groups = 3, local = 96;   // 3 warps per group
        int n = groups * local;
        int[] values = random.ints(n, -1000, 1000).toArray();
        I32Array in = device.allocI32(n);
        for (int i = 0; i < n; i++) in.set(i, values[i]);
        I32Array out = device.allocI32(4L * n);
        int delta = 1 + random.nextInt(31), mask = 1 + random.nextInt(31), lane = random.nextInt(32);
        device.launch(k("shuffles"), Grid.groups(groups, local), out, in, delta, mask, lane);
        for (int i = 0; i < n; i++) {
            int warpBase = i / 32 * 32, l = i % 32;
            int down = l + delta < 32 ? values[warpBase + l + delta] : values[i];
            int max = Integer.MIN_VALUE;
            for (int j = 0; j < 32; j++) max = Math.max(max, values[warpBase + j]);
            assertEquals(down, out.get(4 * i), "shuffleDown at " + i);
            assertEquals(values[warpBase + (l ^ mask)], out.get(4 * i + 1), "shuffleXor at " + i);
            assertEquals(values[warpBase + lane], out.get(4 * i + 2), "broadcast at " + i);
            assertEquals(max, out.get(4 * i + 3), "warpReduceMax at " + i);
        }
    }

    @Test
    void warpReductionsMatchReference() {
        int groups = 4, local = 128;
        int n = groups * local;
        F32Array in = randomFloats(n);
        F32Array sums = device.allocF32(n / 32), maxima = device.allocF32(n / 32);
        device.launch(k("warpSums"), Grid.groups(groups, local), sums, maxima, in);
        for (int w = 0; w < n / 32; w++) {
            double s = 0;
            float m = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < 32; j++) {
                s += in.get(w * 32 + j);
                m = Math.max(m, in.get(w * 32 + j));
            }
            assertEquals(s, sums.get(w), 1e-4, "sum of warp " + w);
            assertEquals(m, maxima.get(w), "max of warp " + w);
        }
    }

    @Test
    void divergentBarrierFailsFastWithAClearMessage() {
        F32Array out = device.allocF32(64);
        long start = System.nanoTime();
        KernelLaunchException e = assertThrows(KernelLaunchException.class,
                () -> device.launch(k("divergentBarrier"), Grid.groups(2, 32), out));
        assertTrue(e.getMessage().contains("divergent barrier"), e.getMessage());
        assertTrue(e.getMessage().contains("divergentBarrier"), "names the kernel: " + e.getMessage());
        assertTrue(System.nanoTime() - start < 10_000_000_000L, "detected without waiting for the timeout");
    }

    @Test
    void warpOperationsMustBeUniformOverTheGroup() {
        F32Array in = randomFloats(128), out = device.allocF32(4);
        device.launch(k("warpSumGuarded"), Grid.groups(2, 64), out, in, 4);   // every warp reduces: fine
        for (int w = 0; w < 4; w++) {
            double s = 0;
            for (int j = 0; j < 32; j++) s += in.get(w * 32 + j);
            assertEquals(s, out.get(w), 1e-4);
        }
        KernelLaunchException e = assertThrows(KernelLaunchException.class,
                () -> device.launch(k("warpSumGuarded"), Grid.groups(2, 64), out, in, 3));
        assertTrue(e.getMessage().contains("divergent warp operations") && e.getMessage().contains("group (1,0,0)"),
                e.getMessage());
    }

    /** A kernel with named barriers (warp-specialised, never OpenCL) needs warp operations uniform per warp only. */
    @Test
    void warpSpecialisedKernelsNeedUniformWarpsOnly() {
        F32Array in = randomFloats(64), out = device.allocF32(2);
        out.set(1, -1f);
        device.launch(k("warpSumSpecialised"), Grid.groups(1, 64), out, in, 1, 0);   // warp 1 reduces nothing: fine
        double s = 0;
        for (int j = 0; j < 32; j++) s += in.get(j);
        assertEquals(s, out.get(0), 1e-4);
        assertEquals(-1f, out.get(1), "warp 1 did not reduce");
        KernelLaunchException e = assertThrows(KernelLaunchException.class,
                () -> device.launch(k("warpSumSpecialised"), Grid.groups(1, 64), out, in, 1, 16));
        assertTrue(e.getMessage().contains("divergent") && e.getMessage().contains("warp"),
                e.getMessage());
    }

    @Test
    void barrierTimesOutInsteadOfHanging() {
        JavaTestKernels.stuck = new CountDownLatch(1);
        try (JavaDevice quick = new JavaDevice(2, Duration.ofMillis(300))) {
            F32Array out = quick.allocF32(32);
            long start = System.nanoTime();
            KernelLaunchException e = assertThrows(KernelLaunchException.class,
                    () -> quick.launch(k("stuckWorkItem"), Grid.groups(1, 32), out));
            JavaTestKernels.stuck.countDown();
            assertTrue(e.getMessage().contains("waited 300 ms"), e.getMessage());
            assertTrue(System.nanoTime() - start < 10_000_000_000L);
        } finally {
            JavaTestKernels.stuck.countDown();
        }
    }

    @Test
    void failingWorkItemIsNamed() {
        F32Array out = device.allocF32(64);
        KernelLaunchException e = assertThrows(KernelLaunchException.class,
                () -> device.launch(k("outOfBounds"), Grid.groups(2, 32), out));
        assertTrue(e.getMessage().contains("work-item (31,0,0) of group (1,0,0)"), e.getMessage());
        assertTrue(e.getCause() instanceof IndexOutOfBoundsException, String.valueOf(e.getCause()));
    }

    @Test
    void warpKernelsNeedWholeWarps() {
        F32Array out = device.allocF32(48);
        KernelLaunchException e = assertThrows(KernelLaunchException.class,
                () -> device.launch(k("warpOnly"), Grid.groups(2, 24), out));
        assertTrue(e.getMessage().contains("multiple of 32"), e.getMessage());
        device.launch(k("warpOnly"), Grid.groups(1, 32), out);
        assertEquals(32f, out.get(0));
    }

    @Test
    void globalBarrierNeedsASingleGroup() {
        F32Array out = device.allocF32(64);
        KernelLaunchException e = assertThrows(KernelLaunchException.class,
                () -> device.launch(k("singleGroupOnly"), Grid.groups(2, 32), out));
        assertTrue(e.getMessage().contains("single group"), e.getMessage());
        device.launch(k("singleGroupOnly"), Grid.groups(1, 64), out);
        assertEquals(64, (int) java.util.stream.IntStream.range(0, 64).mapToDouble(out::get).sum());
    }

    @Test
    void wrongArgumentsFailBeforeTheKernelRuns() {
        F32Array x = device.allocF32(4), y = device.allocF32(4);
        Kernel saxpy = k("saxpy");
        Grid g = Grid.groups(1, 4);
        var count = assertThrows(KernelLaunchException.class, () -> device.launch(saxpy, g, y, x, 2f));
        assertTrue(count.getMessage().contains("takes 4 arguments"), count.getMessage());
        var type = assertThrows(KernelLaunchException.class, () -> device.launch(saxpy, g, y, x, 2.0, 4));
        assertTrue(type.getMessage().contains("'a'") && type.getMessage().contains("Double"), type.getMessage());
        I32Array ints = device.allocI32(4);
        var array = assertThrows(KernelLaunchException.class, () -> device.launch(saxpy, g, y, ints, 2f, 4));
        assertTrue(array.getMessage().contains("'x'") && array.getMessage().contains("I32Array"), array.getMessage());
        try (Device other = new JavaDevice()) {
            F32Array foreign = other.allocF32(4);
            var owner = assertThrows(KernelLaunchException.class, () -> device.launch(saxpy, g, y, foreign, 2f, 4));
            assertTrue(owner.getMessage().contains("lives on"), owner.getMessage());
        }
        for (int i = 0; i < 4; i++) assertEquals(0f, y.get(i), "nothing ran");
        // host arrays are fine on the Java device
        F32Array hostX = F32Array.fromArray(1, 2, 3, 4);
        device.launch(saxpy, g, y, hostX, 2f, 4);
        assertArrayEquals(new float[] {2, 4, 6, 8}, y.toArray());
    }

    @Test
    void copiesCheckTypesAndRanges() {
        F32Array a = randomFloats(100), b = device.allocF32(100);
        device.copy(b, 10, a, 20, 50);
        for (int i = 0; i < 100; i++) assertEquals(i >= 10 && i < 60 ? a.get(i + 10) : 0f, b.get(i));
        I32Array ints = device.allocI32(100);
        var type = assertThrows(IllegalArgumentException.class, () -> device.copy(ints, 0, a, 0, 10));
        assertTrue(type.getMessage().contains("element types differ"), type.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> device.copy(b, 60, a, 0, 50));
    }

    @Test
    void tenThousandAllocationsAreAllFreed() {
        var before = device.memory();
        long live = device.liveBuffers();
        for (int i = 0; i < 10_000; i++) {
            F32Array a = device.allocF32(1 + i % 1000);
            a.set(0, i);
            a.close();
        }
        var after = device.memory();
        assertEquals(before.allocatedBytes(), after.allocatedBytes());
        assertEquals(live, device.liveBuffers());
        assertTrue(after.peakBytes() >= 4000, "peak counts the largest buffer");
    }

    @Test
    void closingTheDeviceFreesItsArrays() {
        JavaDevice d = new JavaDevice();
        d.allocF32(1000);
        d.allocI32(10);
        assertEquals(4040, d.memory().allocatedBytes());
        d.close();
        assertEquals(0, d.memory().allocatedBytes());
        assertThrows(IllegalStateException.class, () -> d.allocF32(1));
    }

    @SuppressWarnings("unused")
    private static int warpSize() { return KernelContext.WARP_SIZE; }
}
