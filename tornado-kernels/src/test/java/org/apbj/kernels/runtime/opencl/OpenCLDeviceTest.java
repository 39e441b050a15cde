package org.apbj.kernels.runtime.opencl;

import org.apbj.kernels.testing.TestSeed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.List;
import java.util.Random;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.jit.CompiledKernel;
import org.apbj.kernels.jit.CompiledKernel.Param;
import org.apbj.kernels.jit.CompiledKernel.ParamKind;
import org.apbj.kernels.jit.Target;
import org.apbj.kernels.runtime.Grid;
import org.apbj.kernels.runtime.KernelBuildException;
import org.apbj.kernels.runtime.KernelLaunchException;
import org.apbj.kernels.runtime.ScalarKindsCheck;
import org.apbj.kernels.runtime.java.JavaDevice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The OpenCL runtime on PoCL with hand-written OpenCL C (the compiler's kernels are tested elsewhere). */
@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class OpenCLDeviceTest {
    private static OpenCLDevice device;
    private final Random random = new Random(TestSeed.next());

    static final CompiledKernel SAXPY = new CompiledKernel("saxpy", """
            __kernel void saxpy(__global float* y, __global const float* x, float a, int n) {
                int i = get_global_id(0);
                if (i < n) y[i] = a * x[i] + y[i];
            }
            """, Target.OPENCL, List.of(new Param(1, "y", ParamKind.F32_ARRAY), new Param(2, "x", ParamKind.F32_ARRAY),
            new Param(3, "a", ParamKind.FLOAT), new Param(4, "n", ParamKind.INT)), false, false, 0, "test-saxpy-1");

    static final CompiledKernel GROUP_SUM = new CompiledKernel("group_sum", """
            __kernel void group_sum(__global float* out, __global const float* in) {
                __local float partial[128];
                int t = get_local_id(0);
                partial[t] = in[get_global_id(0)];
                barrier(CLK_LOCAL_MEM_FENCE);
                for (int s = get_local_size(0) / 2; s > 0; s >>= 1) {
                    if (t < s) partial[t] += partial[t + s];
                    barrier(CLK_LOCAL_MEM_FENCE);
                }
                if (t == 0) out[get_group_id(0)] = partial[0];
            }
            """, Target.OPENCL, List.of(new Param(1, "out", ParamKind.F32_ARRAY), new Param(2, "in", ParamKind.F32_ARRAY)),
            false, true, 512, "test-group-sum-1");

    static final CompiledKernel SCALARS = new CompiledKernel("scalars", """
            #pragma OPENCL EXTENSION cl_khr_fp64 : enable
            __kernel void scalars(__global long* out, long l, int i, short s, char b, uchar flag, float f, double d) {
                out[0] = l; out[1] = i; out[2] = s; out[3] = b; out[4] = flag;
                out[5] = (long) (f * 1000.0f); out[6] = (long) (d * 1e6);
            }
            """, Target.OPENCL, List.of(new Param(1, "out", ParamKind.I64_ARRAY), new Param(2, "l", ParamKind.LONG),
            new Param(3, "i", ParamKind.INT), new Param(4, "s", ParamKind.SHORT), new Param(5, "b", ParamKind.BYTE),
            new Param(6, "flag", ParamKind.BOOLEAN), new Param(7, "f", ParamKind.FLOAT), new Param(8, "d", ParamKind.DOUBLE)),
            false, false, 0, "test-scalars-1");

    @BeforeAll
    static void open() { device = OpenCLDevice.open("pocl"); }

    @AfterAll
    static void close() { device.close(); }

    private F32Array randomHost(int n) {
        F32Array a = F32Array.allocate(n);
        for (int i = 0; i < n; i++) a.set(i, (float) random.nextGaussian());
        return a;
    }

    @Test
    void saxpyMatchesReferenceAndCopiesRoundTrip() {
        int n = 5000;
        F32Array x = randomHost(n), y = randomHost(n);
        float a = (float) random.nextGaussian();
        F32Array dx = device.upload(x), dy = device.upload(y);
        assertTrue(!dx.isHostAccessible(), "OpenCL arrays live on the device");
        device.launchCompiled(SAXPY, "saxpy", Grid.groups((n + 63) / 64, 64), dy, dx, a, n);
        F32Array result = F32Array.allocate(n);
        device.copyOut(result, dy);
        for (int i = 0; i < n; i++) {
            double want = (double) a * x.get(i) + y.get(i);
            assertEquals(want, result.get(i), 1e-5 * (1 + Math.abs(want)), "element " + i);
        }
        dx.close();
        dy.close();
    }

    @Test
    void partialCopiesBetweenHostAndDeviceAndOnTheDevice() {
        BF16Array host = BF16Array.allocate(300);
        for (int i = 0; i < 300; i++) host.set(i, (short) random.nextInt());
        try (BF16Array a = device.allocBF16(300); BF16Array b = device.allocBF16(300)) {
            device.copy(a, 5, host, 10, 200);                // host -> device
            device.copy(b, 100, a, 5, 150);                  // device -> device
            BF16Array back = BF16Array.allocate(300);
            device.copy(back, 0, b, 0, 300);                 // device -> host
            for (int i = 0; i < 300; i++) {
                short want = i >= 100 && i < 250 ? host.get(i - 100 + 10) : 0;
                assertEquals(want, back.get(i), "element " + i);
            }
            var type = assertThrows(IllegalArgumentException.class, () -> device.copy(a, 0, F32Array.allocate(3), 0, 3));
            assertTrue(type.getMessage().contains("element types differ"), type.getMessage());
            assertThrows(IndexOutOfBoundsException.class, () -> device.copy(a, 250, host, 0, 51));
            assertThrows(IllegalStateException.class, () -> a.get(0), "device arrays are not readable from Java");
        }
    }

    @Test
    void localMemoryAndBarriers() {
        int groups = 9, local = 128;
        F32Array in = randomHost(groups * local);
        try (F32Array din = device.upload(in); F32Array dout = device.allocF32(groups)) {
            device.launchCompiled(GROUP_SUM, "group_sum", Grid.groups(groups, local), dout, din);
            F32Array out = F32Array.allocate(groups);
            device.copyOut(out, dout);
            for (int g = 0; g < groups; g++) {
                double want = 0;
                for (int i = 0; i < local; i++) want += in.get(g * local + i);
                assertEquals(want, out.get(g), 1e-4 * local, "group " + g);
            }
            assertTrue(device.lastKernelNanos() > 0, "profiling events time the kernel");
        }
    }

    @Test
    void everyScalarKindReachesTheKernel() {
        ScalarKindsCheck.check(device, random, values -> device.launchCompiled(SCALARS, "scalars", Grid.of(1, 1), values));
    }

    @Test
    void programsAreBuiltOncePerCacheKey() {
        int before = device.cachedPrograms();
        try (F32Array y = device.allocF32(64); F32Array x = device.allocF32(64)) {
            CompiledKernel copy = new CompiledKernel(SAXPY.entryName(), SAXPY.source(), SAXPY.target(), SAXPY.params(),
                    false, false, 0, "test-saxpy-cache");
            for (int r = 0; r < 3; r++) device.launchCompiled(copy, "saxpy", Grid.groups(1, 64), y, x, 1f, 64);
            device.synchronize();
        }
        assertEquals(before + 1, device.cachedPrograms());
    }

    @Test
    void badOpenCLCShowsTheBuildLog() {
        CompiledKernel bad = new CompiledKernel("broken", """
                __kernel void broken(__global float* out) {
                    out[get_global_id(0)] = undeclared_variable * 2.0f;
                }
                """, Target.OPENCL, List.of(new Param(1, "out", ParamKind.F32_ARRAY)), false, false, 0, "test-broken-1");
        try (F32Array out = device.allocF32(4)) {
            KernelBuildException e = assertThrows(KernelBuildException.class,
                    () -> device.launchCompiled(bad, "broken", Grid.of(4, 4), out));
            assertTrue(e.getMessage().contains("CL_BUILD_PROGRAM_FAILURE"), e.getMessage());
            assertTrue(e.log().contains("undeclared_variable"), "the log names the error: " + e.log());
            assertNotNull(e.sourceFile());
            assertTrue(Files.exists(e.sourceFile()), "source dumped to " + e.sourceFile());
        }
    }

    @Test
    void wrongArgumentsAreRejectedBeforeLaunch() {
        try (F32Array y = device.allocF32(8); F32Array x = device.allocF32(8); I32Array ints = device.allocI32(8)) {
            Grid g = Grid.of(8, 8);
            var count = assertThrows(KernelLaunchException.class, () -> device.launchCompiled(SAXPY, "saxpy", g, y, x, 1f));
            assertTrue(count.getMessage().contains("takes 4 parameters"), count.getMessage());
            var type = assertThrows(KernelLaunchException.class, () -> device.launchCompiled(SAXPY, "saxpy", g, y, ints, 1f, 8));
            assertTrue(type.getMessage().contains("'x'"), type.getMessage());
            var scalar = assertThrows(KernelLaunchException.class, () -> device.launchCompiled(SAXPY, "saxpy", g, y, x, 1, 8));
            assertTrue(scalar.getMessage().contains("'a'") && scalar.getMessage().contains("Integer"), scalar.getMessage());
            F32Array host = F32Array.allocate(8);
            var where = assertThrows(KernelLaunchException.class, () -> device.launchCompiled(SAXPY, "saxpy", g, y, host, 1f, 8));
            assertTrue(where.getMessage().contains("does not live on"), where.getMessage());
            try (JavaDevice java = new JavaDevice()) {
                F32Array other = java.allocF32(8);
                assertThrows(IllegalArgumentException.class, () -> device.copy(y, 0, other, 0, 8),
                        "arrays of another device cannot be copied here");
            }
        }
    }

    @Test
    void tenThousandAllocationsAreAllReleased() {
        var before = device.memory();
        long live = device.liveBuffers();
        for (int i = 0; i < 10_000; i++) {
            F32Array a = device.allocF32(1 + i % 512);
            a.close();
            a.close();   // idempotent
        }
        assertEquals(before.allocatedBytes(), device.memory().allocatedBytes());
        assertEquals(live, device.liveBuffers());
    }
}
