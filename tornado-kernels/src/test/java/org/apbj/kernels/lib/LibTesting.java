package org.apbj.kernels.lib;

import org.apbj.kernels.testing.TestSeed;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.KernelMath;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.Devices;

/**
 * What the kernel-library tests share: the devices to run on (the Java device always, PoCL's
 * OpenCL device when the compiler is in the build and a platform opens), per-run random seeds
 * (printed, and fixed with -Dapbj.test.seed=N to reproduce a failure), and host/device copies.
 */
final class LibTesting {
    private LibTesting() {}

    /** Work-items per group for single-group reductions: the Java device runs them as threads. */
    static final int REDUCTION_THREADS = 128;

    private static final Map<Backend, Device> OPEN = new EnumMap<>(Backend.class);
    private static final List<Backend> BACKENDS = findBackends();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            synchronized (OPEN) {
                OPEN.values().forEach(Device::close);
            }
        }));
    }

    /** The backends the tests run on in this build and on this machine. */
    static List<Backend> backends() { return BACKENDS; }

    /**
     * Java and OpenCL (PoCL, which ./apbj test installs): a missing OpenCL platform fails the
     * tests that need it rather than silently narrowing them to Java.
     */
    private static List<Backend> findBackends() {
        return List.of(Backend.JAVA, Backend.OPENCL);
    }

    /** One device per backend for the whole test run (compiled kernels stay cached). */
    static Device device(Backend backend) {
        synchronized (OPEN) {
            return OPEN.computeIfAbsent(backend, Devices::open);
        }
    }

    static KernelOps ops(Backend backend) { return new KernelOps(device(backend), REDUCTION_THREADS); }

    static Random random(String test) {
        long seed = TestSeed.next();
        System.out.println(test + ": seed " + seed + " (rerun with -D" + TestSeed.PROPERTY + "=" + seed + ")");
        return new Random(seed);
    }

    // --- random data --------------------------------------------------------------------------

    static float[] gaussians(Random r, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextGaussian() * scale);
        return v;
    }

    /** Gaussians rounded to bf16, as floats (exactly representable in bf16). */
    static float[] bf16Gaussians(Random r, int n, double scale) {
        float[] v = gaussians(r, n, scale);
        for (int i = 0; i < n; i++) v[i] = roundBf16(v[i]);
        return v;
    }

    static float roundBf16(float v) { return KernelMath.bf16ToFloat(KernelMath.floatToBf16(v)); }

    // --- host <-> device ------------------------------------------------------------------------

    static F32Array f32(Device d, float[] v) { return d.upload(F32Array.fromArray(v)); }

    /** v must hold bf16-exact values (see {@link #bf16Gaussians}). */
    static BF16Array bf16(Device d, float[] v) { return d.upload(BF16Array.fromFloats(v)); }

    static I32Array i32(Device d, int[] v) { return d.upload(I32Array.fromArray(v)); }

    static float[] read(Device d, F32Array a) {
        F32Array host = F32Array.allocate(a.length());
        d.copyOut(host, a);
        return host.toArray();
    }

    static float[] read(Device d, BF16Array a) {
        BF16Array host = BF16Array.allocate(a.length());
        d.copyOut(host, a);
        float[] v = new float[host.size()];
        for (int i = 0; i < v.length; i++) v[i] = host.getFloat(i);
        return v;
    }

    static int[] read(Device d, I32Array a) {
        I32Array host = I32Array.allocate(a.length());
        d.copyOut(host, a);
        return host.toArray();
    }

    /** fp32 unit roundoff. */
    static final double EPS32 = Math.ulp(1.0f) / 2;
    /** bf16 unit roundoff (8 significant bits). */
    static final double EPS_BF16 = 1.0 / 256;

    /**
     * Asserts |got − want| ≤ tol[i] for every element, reporting the worst offender with its
     * index, both values and the tolerance.
     */
    static void assertClose(String what, double[] want, float[] got, double[] tol) {
        if (want.length != got.length) throw new AssertionError(what + ": length " + got.length + " != " + want.length);
        int worst = -1;
        double worstRatio = 0;
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs(got[i] - want[i]);
            boolean bad = !(err <= tol[i]) && !(Double.isInfinite(want[i]) && want[i] == got[i]);
            double ratio = bad ? Double.POSITIVE_INFINITY : err / tol[i];
            if (bad || ratio > worstRatio) {
                worstRatio = ratio;
                worst = i;
            }
            if (bad) break;
        }
        if (worstRatio > 1) {
            throw new AssertionError(what + ": element " + worst + " is " + got[worst] + ", expected " + want[worst]
                    + " within " + tol[worst]);
        }
        if (worst >= 0) {
            System.out.printf("  %s: worst error %.3g = %.3f of its tolerance%n", what,
                    Math.abs(got[worst] - want[worst]), worstRatio);
        }
    }

    static double[] constant(int n, double v) {
        double[] a = new double[n];
        java.util.Arrays.fill(a, v);
        return a;
    }
}
