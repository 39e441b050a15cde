package org.apbj.kernels.jit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.List;
import java.util.stream.Stream;
import org.apbj.kernels.corpus.Corpus;
import org.apbj.kernels.corpus.CorpusRunner;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Device;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every corpus kernel compiled to OpenCL C runs on the OpenCL device (PoCL in CI) and matches
 * the plain-Java run of the same method on fresh random inputs.
 *
 * <p>The devices come from the runtime's {@code Devices.open(Backend)}, looked up reflectively:
 * the test skips with a notice in a build without the runtime or without an OpenCL platform.
 */
class OpenClCorpusTest {
    private static Device java;
    private static Device opencl;

    @TestFactory
    Stream<DynamicTest> corpusMatchesJavaOnOpenCl() {
        java = open(Backend.JAVA);
        opencl = open(Backend.OPENCL);
        long seed = System.nanoTime();
        System.out.println("OpenClCorpusTest seed " + seed + " on " + opencl.name());
        return Corpus.all().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            List<String> problems = CorpusRunner.compare(c, java, opencl, seed);
            assertTrue(problems.isEmpty(), () -> "seed " + seed + ":\n" + String.join("\n", problems)
                    + "\n" + KernelCompiler.compile(c.kernel(), Target.OPENCL, c.inputs().apply(new java.util.Random(seed))).source());
        }));
    }

    @AfterAll
    static void close() {
        if (opencl != null) opencl.close();
        if (java != null) java.close();
    }

    static Device open(Backend backend) {
        Method open;
        try {
            open = Class.forName("org.apbj.kernels.runtime.Devices").getMethod("open", Backend.class);
        } catch (ReflectiveOperationException e) {
            assumeTrue(false, "the device runtime (org.apbj.kernels.runtime.Devices) is not in this build: skipping");
            throw new AssertionError(e);
        }
        try {
            return (Device) open.invoke(null, backend);
        } catch (InvocationTargetException e) {
            // Only a missing device skips; any other failure of the runtime is a test failure.
            boolean unavailable = e.getCause().getClass().getSimpleName().equals("DeviceUnavailableException");
            assumeTrue(!unavailable, () -> "no " + backend + " device here: " + e.getCause().getMessage());
            throw new AssertionError("opening the " + backend + " device failed", e.getCause());
        } catch (IllegalAccessException e) {
            throw new AssertionError(e);
        }
    }
}
