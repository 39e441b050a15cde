package org.apbj.kernels.jit;

import org.apbj.kernels.testing.TestSeed;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.apbj.kernels.corpus.Corpus;
import org.apbj.kernels.corpus.CorpusRunner;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.Devices;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every corpus kernel compiled to OpenCL C runs on the OpenCL device (PoCL in CI) and matches
 * the plain-Java run of the same method on fresh random inputs.
 * PoCL is installed by ./apbj test, so a missing OpenCL platform fails this test.
 */
@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class OpenClCorpusTest {
    private static Device java;
    private static Device opencl;

    @TestFactory
    Stream<DynamicTest> corpusMatchesJavaOnOpenCl() {
        java = open(Backend.JAVA);
        opencl = open(Backend.OPENCL);
        long seed = TestSeed.next();
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
        return Devices.open(backend);
    }
}
