package org.apbj.model;

import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.jit.Target;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.Devices;
import org.apbj.kernels.runtime.Kernel;
import org.apbj.kernels.runtime.KernelCompilers;
import org.junit.jupiter.api.Assumptions;

/** Opens the devices the model tests run on. */
public final class TestDevices {
    private TestDevices() {}

    /**
     * Opens {@code spec}. OpenCL and CUDA devices run compiled kernels: while the kernel compiler
     * (or its backend for that device) is not part of the build, those tests are skipped with
     * that reason — never run on another device instead.
     */
    public static Device open(String spec) {
        if (!spec.startsWith("java")) {
            Assumptions.assumeTrue(KernelCompilers.available(),
                    "the kernel compiler (org.apbj.kernels.jit) is not in this build: " + spec + " cannot run kernels");
            Target target = spec.startsWith("opencl") ? Target.OPENCL : Target.SM_90;
            try {
                KernelCompilers.compile(Kernel.of(TestDevices.class, "probe"), target, new Object[] {null});
            } catch (UnsupportedOperationException e) {
                Assumptions.abort("the kernel compiler cannot emit " + target + " yet (" + e.getMessage() + ")");
            }
        }
        return Devices.open(spec);
    }

    /** A trivial kernel whose compilation tells whether a backend exists. */
    public static void probe(KernelContext ctx, F32Array a) {
        a.set(ctx.globalIdx, 1f);
    }

    /** The device of the tests that need a fast one: -Dapbj.test.device, default PoCL ("opencl"). */
    public static String fastSpec() {
        return System.getProperty("apbj.test.device", "opencl");
    }
}
