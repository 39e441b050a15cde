package org.apbj.kernels.runtime.cuda;

import org.apbj.kernels.testing.TestSeed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.I8Array;
import org.apbj.kernels.bench.BenchPtx;
import org.apbj.kernels.jit.CompiledKernel;
import org.apbj.kernels.jit.CompiledKernel.Param;
import org.apbj.kernels.jit.CompiledKernel.ParamKind;
import org.apbj.kernels.jit.Target;
import org.apbj.kernels.runtime.DeviceMemoryException;
import org.apbj.kernels.runtime.Grid;
import org.apbj.kernels.runtime.KernelBuildException;
import org.apbj.kernels.runtime.KernelLaunchException;
import org.apbj.kernels.runtime.Marker;
import org.apbj.kernels.runtime.ScalarKindsCheck;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The CUDA runtime with hand-written PTX (the compiler's kernels: CorpusTest). Needs a GPU. */
@Tag("gpu")
@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class CudaDeviceTest extends OnCudaDevice {
    private final Random random = new Random(TestSeed.next());

    static final CompiledKernel SCALARS = new CompiledKernel("scalars", """
            .version 7.0
            .target sm_70
            .address_size 64
            .visible .entry scalars(.param .u64 out_ptr, .param .s64 l, .param .s32 i, .param .s16 s, .param .s8 b,
                                    .param .u8 flag, .param .f32 f, .param .f64 d)
            {
                .reg .b16 %h<3>;
                .reg .b32 %r<4>;
                .reg .f32 %f<3>;
                .reg .f64 %fd<3>;
                .reg .b64 %rd<10>;
                ld.param.u64 %rd1, [out_ptr];
                cvta.to.global.u64 %rd1, %rd1;
                ld.param.s64 %rd2, [l];
                st.global.s64 [%rd1], %rd2;
                ld.param.s32 %r1, [i];
                cvt.s64.s32 %rd3, %r1;
                st.global.s64 [%rd1+8], %rd3;
                ld.param.s16 %h1, [s];
                cvt.s64.s16 %rd4, %h1;
                st.global.s64 [%rd1+16], %rd4;
                ld.param.s8 %h2, [b];
                cvt.s64.s8 %rd5, %h2;
                st.global.s64 [%rd1+24], %rd5;
                ld.param.u8 %h1, [flag];
                cvt.u64.u16 %rd6, %h1;
                st.global.s64 [%rd1+32], %rd6;
                ld.param.f32 %f1, [f];
                mul.rn.f32 %f2, %f1, 0f447A0000;
                cvt.rzi.s64.f32 %rd7, %f2;
                st.global.s64 [%rd1+40], %rd7;
                ld.param.f64 %fd1, [d];
                mul.rn.f64 %fd2, %fd1, 0d412E848000000000;
                cvt.rzi.s64.f64 %rd8, %fd2;
                st.global.s64 [%rd1+48], %rd8;
                ret;
            }
            """, Target.ptx(7, 0), List.of(new Param(1, "out", ParamKind.I64_ARRAY), new Param(2, "l", ParamKind.LONG),
            new Param(3, "i", ParamKind.INT), new Param(4, "s", ParamKind.SHORT), new Param(5, "b", ParamKind.BYTE),
            new Param(6, "flag", ParamKind.BOOLEAN), new Param(7, "f", ParamKind.FLOAT), new Param(8, "d", ParamKind.DOUBLE)),
            false, false, 0, "test-ptx-scalars-1");

    private F32Array randomHost(int n) {
        F32Array a = F32Array.allocate(n);
        for (int i = 0; i < n; i++) a.set(i, (float) random.nextGaussian());
        return a;
    }

    @Test
    void reportsItsArchitecture() {
        assertTrue(device.computeCapabilityMajor() >= 7, device.name());
        // the exact architecture: with its architecture-specific features where it has them (9.0 → sm_90a)
        String plain = "sm_" + device.computeCapabilityMajor() + device.computeCapabilityMinor();
        assertEquals(device.capabilities().warpGroupMma() ? plain + "a" : plain, device.target().arch());
        assertTrue(device.multiprocessorCount() > 0 && device.totalMemoryBytes() > 0);
        assertTrue(device.maxSharedMemoryPerBlockOptIn() >= 48 * 1024);
        assertTrue(device.name().startsWith("cuda:0 "), device.name());
        System.out.println(device.name() + ", " + device.multiprocessorCount() + " SMs, opt-in shared "
                + device.maxSharedMemoryPerBlockOptIn() + ", driver " + CudaDriver.get().driverVersion());
    }

    @Test
    void saxpyMatchesReference() {
        int n = 1_000_003;
        F32Array x = randomHost(n), y = randomHost(n);
        float a = (float) random.nextGaussian();
        try (F32Array dx = device.upload(x); F32Array dy = device.upload(y)) {
            assertFalse(dx.isHostAccessible());
            device.launchCompiled(BenchPtx.SAXPY, "saxpy", Grid.groups((n + 255) / 256, 256), dy, dx, a, n);
            F32Array out = F32Array.allocate(n);
            device.copyOut(out, dy);
            for (int i = 0; i < n; i++) {
                double want = Math.fma(a, x.get(i), y.get(i));
                assertEquals(want, out.get(i), 1e-6 * (1 + Math.abs(want)), "element " + i);
            }
        }
    }

    @Test
    void partialCopiesEveryDirection() {
        I32Array host = I32Array.allocate(1000);
        for (int i = 0; i < 1000; i++) host.set(i, random.nextInt());
        try (I32Array a = device.allocI32(1000); I32Array b = device.allocI32(1000)) {
            device.copy(a, 3, host, 7, 900);
            device.copy(b, 50, a, 3, 800);
            I32Array back = I32Array.allocate(1000);
            device.copy(back, 0, b, 0, 1000);
            for (int i = 0; i < 1000; i++) {
                assertEquals(i >= 50 && i < 850 ? host.get(i - 50 + 7) : 0, back.get(i), "element " + i);
            }
            var type = assertThrows(IllegalArgumentException.class, () -> device.copy(a, 0, F32Array.allocate(4), 0, 4));
            assertTrue(type.getMessage().contains("element types differ"));
        }
    }

    @Test
    void everyScalarKindReachesTheKernel() {
        ScalarKindsCheck.check(device, random, values -> device.launchCompiled(SCALARS, "scalars", Grid.of(1, 1), values));
    }

    @Test
    void pinnedMemoryRoundTrip() {
        long before = device.pinnedBytes();
        int n = 1 << 20;
        try (F32Array pinned = device.allocPinned(F32Array.class, n); F32Array d = device.allocF32(n);
             F32Array back = device.allocPinned(F32Array.class, n)) {
            for (int i = 0; i < n; i++) pinned.set(i, i * 0.5f);
            device.copyAsync(d, 0, pinned, 0, n);
            device.copyAsync(back, 0, d, 0, n);
            device.synchronize();
            for (int i = 0; i < n; i += 997) assertEquals(i * 0.5f, back.get(i));
            assertEquals(before + 8L * n, device.pinnedBytes());
        }
        assertEquals(before, device.pinnedBytes());
    }

    @Test
    void worksFromAnyThread() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try (F32Array a = device.upload(F32Array.fromArray(1, 2, 3))) {
                F32Array back = F32Array.allocate(3);
                device.copyOut(back, a);
                assertArrayEquals(new float[] {1, 2, 3}, back.toArray());
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.start();
        t.join(60_000);
        if (failure.get() != null) throw new AssertionError(failure.get());
    }

    @Test
    void badPtxShowsTheJitLogAndWhereThePtxIs() {
        CompiledKernel bad = new CompiledKernel("broken", """
                .version 7.0
                .target sm_70
                .address_size 64
                .visible .entry broken()
                {
                    mov.u32 %undeclared_register, 1;
                    ret;
                }
                """, Target.ptx(7, 0), List.of(), false, false, 0, "test-ptx-broken-1");
        KernelBuildException e = assertThrows(KernelBuildException.class,
                () -> device.launchCompiled(bad, "broken", Grid.of(32, 32)));
        assertTrue(e.getMessage().contains("cuModuleLoadDataEx"), e.getMessage());
        assertTrue(e.log().contains("undeclared_register"), "JIT error log names the problem: " + e.log());
        assertTrue(Files.exists(e.sourceFile()), "PTX dumped to " + e.sourceFile());
    }

    @Test
    void outOfMemoryStatesAskedFreeAndTotal() {
        long asked = device.totalMemoryBytes() * 2;
        DeviceMemoryException e = assertThrows(DeviceMemoryException.class, () -> device.allocI8(asked));
        assertTrue(e.getMessage().contains("asked " + DeviceMemoryException.bytes(asked)), e.getMessage());
        assertTrue(e.getMessage().contains("free ") && e.getMessage().contains("of total "), e.getMessage());
    }

    @Test
    void tenThousandAllocationsAreAllFreed() {
        long live = device.liveBuffers();
        var before = device.memory();
        for (int i = 0; i < 10_000; i++) {
            I8Array a = device.allocI8(1 + (i % 64) * 4096L);
            a.close();
        }
        var after = device.memory();
        assertEquals(before.allocatedBytes(), after.allocatedBytes());
        assertEquals(live, device.liveBuffers());
        assertTrue(Math.abs(before.freeBytes() - after.freeBytes()) < (64L << 20),
                "driver free memory returns: before " + before.freeBytes() + ", after " + after.freeBytes());
    }

    @Test
    void wrongArgumentsAreRejectedBeforeLaunch() {
        try (F32Array y = device.allocF32(8)) {
            var count = assertThrows(KernelLaunchException.class,
                    () -> device.launchCompiled(BenchPtx.SAXPY, "saxpy", Grid.of(8, 8), y, 1f, 8));
            assertTrue(count.getMessage().contains("takes 4 parameters"), count.getMessage());
            var host = assertThrows(KernelLaunchException.class,
                    () -> device.launchCompiled(BenchPtx.SAXPY, "saxpy", Grid.of(8, 8), y, F32Array.allocate(8), 1f, 8));
            assertTrue(host.getMessage().contains("does not live on"), host.getMessage());
            var block = assertThrows(KernelLaunchException.class,
                    () -> device.launchCompiled(BenchPtx.EMPTY, "empty", Grid.of(4096, 4096)));
            assertTrue(block.getMessage().contains("allows"), block.getMessage());
        }
    }

    @Test
    void eventsTimeKernels() {
        try (F32Array x = device.allocF32(1 << 24); F32Array y = device.allocF32(1 << 24)) {
            Grid g = Grid.groups((1 << 24) / 256, 256);
            float ms = device.timeMillis(() -> device.launchCompiled(BenchPtx.SAXPY, "saxpy", g, y, x, 1f, 1 << 24));
            assertTrue(ms > 0 && ms < 1000, "saxpy of 16M floats took " + ms + " ms");
        }
    }

    @Test
    void queuedWorkWaitsOnlyWhereTheHostReadsAndMarksTimeItWithoutWaiting() {
        int n = 1 << 22;
        long seed = random.nextLong();
        Random r = new Random(seed);
        try (F32Array host = F32Array.allocate(n); F32Array back = F32Array.allocate(n)) {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) host.set(i, x[i] = (float) r.nextGaussian());
            F32Array dx = device.allocF32(n), dy = device.allocF32(n);
            device.launchCompiled(BenchPtx.SAXPY, "saxpy", Grid.groups((n + 255) / 256, 256), dy, dx, 1f, n);
            device.synchronize();
            long syncs = device.streamSynchronizations();
            device.enqueueCopy(dx, 0, host, 0, n);                     // pageable: the driver has the data on return
            for (int i = 0; i < n; i++) host.set(i, Float.NaN);
            device.enqueueCopy(dy, 0, dx, 0, n);
            Marker a = device.mark();
            for (int k = 0; k < 10; k++) {
                device.launchCompiled(BenchPtx.SAXPY, "saxpy", Grid.groups((n + 255) / 256, 256), dy, dx, 1f, n);
            }
            Marker b = device.mark();
            assertEquals(syncs, device.streamSynchronizations(), "queued copies, launches and marks must not wait");
            long busy = a.nanosUntil(b);
            device.copy(back, 0, dy, 0, n);
            assertEquals(syncs + 1, device.streamSynchronizations(), "only the copy to the host waits");
            for (int i = 0; i < n; i += 997) assertEquals(11 * x[i], back.get(i), 1e-4f * Math.abs(x[i]) + 1e-5f, "seed " + seed + " at " + i);
            float eventMs = device.timeMillis(() -> {
                for (int k = 0; k < 10; k++) {
                    device.launchCompiled(BenchPtx.SAXPY, "saxpy", Grid.groups((n + 255) / 256, 256), dy, dx, 1f, n);
                }
            });
            System.out.printf("10 saxpy of 4M: %.3f ms between marks, %.3f ms by timeMillis%n", busy / 1e6, eventMs);
            assertTrue(busy > 0 && busy < 3 * eventMs * 1e6 + 1e6, "marks measured " + busy + " ns, events " + eventMs + " ms");
            a.close();
            b.close();
            Marker c = device.mark();   // from the pool
            c.close();
        }
    }

    @Test
    void preparationIsBookedOnTheFirstLaunchOfAKernelOnly() {
        var k = org.apbj.kernels.api.Kernel.of(org.apbj.kernels.runtime.QueueOrderTest.class, "scaleAdd");
        F32Array x = device.allocF32(1024), y = device.allocF32(1024);
        long before = device.preparationNanos();
        device.launch(k, Grid.groups(4, 256), y, x, 1f, 1024);
        long first = device.preparationNanos();
        device.launch(k, Grid.groups(4, 256), y, x, 2f, 1024);
        device.synchronize();
        assertTrue(first > before, "compiling and loading a new kernel takes time");
        assertEquals(first, device.preparationNanos(), "the second launch is cached");
    }
}
