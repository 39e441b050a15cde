package org.apbj.kernels.jit;

import org.apbj.kernels.testing.TestSeed;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.apbj.kernels.corpus.Corpus;
import org.apbj.kernels.corpus.CorpusRunner;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Device;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;

/**
 * Every corpus kernel compiled to PTX runs on the CUDA device and matches the plain-Java run
 * on fresh random inputs (./apbj test-gpu; skips without a CUDA device).
 */
@Tag("gpu")
@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class CudaCorpusTest {
    private static Device java;
    private static Device cuda;

    @TestFactory
    Stream<DynamicTest> corpusMatchesJavaOnCuda() {
        java = OpenClCorpusTest.open(Backend.JAVA);
        cuda = OpenClCorpusTest.open(Backend.CUDA);
        long seed = TestSeed.next();
        System.out.println("CudaCorpusTest seed " + seed + " on " + cuda.name());
        return Corpus.all().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            List<String> problems = CorpusRunner.compare(c, java, cuda, seed);
            assertTrue(problems.isEmpty(), () -> "seed " + seed + ":\n" + String.join("\n", problems));
        }));
    }

    @AfterAll
    static void close() {
        if (cuda != null) cuda.close();
        if (java != null) java.close();
    }
}
