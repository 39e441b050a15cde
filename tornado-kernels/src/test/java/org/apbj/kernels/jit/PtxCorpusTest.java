package org.apbj.kernels.jit;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.apbj.kernels.corpus.Corpus;
import org.apbj.kernels.corpus.CorpusCase;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/** Every corpus kernel's PTX assembles with ptxas for sm_80 and sm_90. */
class PtxCorpusTest {
    @TempDir
    static Path work;

    @TestFactory
    Stream<DynamicTest> corpusAssemblesWithPtxas() {
        assumeTrue(Ptxas.available(), "ptxas is not on the PATH: skipping the PTX assembly checks");
        return Corpus.all().stream().flatMap(c -> Stream.of(Target.SM_80, Target.SM_90).map(t ->
                DynamicTest.dynamicTest(c.name() + " " + t, () -> {
                    Object[] args = c.inputs().apply(new Random(1));
                    CompiledKernel k = KernelCompiler.compileUncached(c.kernel(), t, KernelCompiler.constantValues(c.kernel(), args));
                    assertTrue(k.source().contains(".target " + t.arch()));
                    assertNull(Ptxas.check(k.source(), t.arch(), work), () -> k.source());
                })));
    }
}
