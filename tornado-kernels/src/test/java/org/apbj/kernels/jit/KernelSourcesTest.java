package org.apbj.kernels.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apbj.kernels.api.Kernel;
import org.apbj.kernels.corpus.ControlFlowKernels;
import org.apbj.kernels.corpus.MathKernels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Enumerating kernels of classes and writing one source file per kernel. */
class KernelSourcesTest {
    @TempDir
    Path out;
    private String previousCache;

    @org.junit.jupiter.api.BeforeEach
    void cacheInTempDir() {
        previousCache = System.getProperty(KernelCache.DIR_PROPERTY);
        System.setProperty(KernelCache.DIR_PROPERTY, out.resolve("cache").toString());
    }

    @org.junit.jupiter.api.AfterEach
    void restoreCache() {
        if (previousCache == null) System.clearProperty(KernelCache.DIR_PROPERTY);
        else System.setProperty(KernelCache.DIR_PROPERTY, previousCache);
    }

    @Test
    void enumeratesPublicStaticKernelsOnly() {
        List<String> names = KernelSources.kernelsOf(MathKernels.class).stream().map(Kernel::name).toList();
        assertEquals(List.of("expLog", "intMinMax", "maxNumbers", "minMaxAbs", "power", "softmaxRows", "sqrtRsqrt", "tanhSilu"), names);
        // private helpers and non-kernels of ControlFlowKernels are not listed
        assertTrue(KernelSources.kernelsOf(ControlFlowKernels.class).stream().noneMatch(k -> k.name().equals("classify")));
    }

    @Test
    void writesOneFilePerKernelAndListsConstantKernels() throws IOException {
        List<Kernel> kernels = KernelSources.kernelsOf(ControlFlowKernels.class);
        List<Path> ptx = KernelSources.emitAll(kernels, Target.SM_90, out.resolve("ptx"));
        assertEquals(kernels.size(), ptx.size());   // one per kernel, but constantTile -> SKIPPED.txt
        assertTrue(Files.readString(out.resolve("ptx/SKIPPED.txt")).contains("ControlFlowKernels.constantTile"));
        String matmul = Files.readString(out.resolve("ptx/ControlFlowKernels_matmul.ptx"));
        assertTrue(matmul.contains(".visible .entry ControlFlowKernels_matmul(") && matmul.contains("// ControlFlowKernels.java:"), matmul);
        List<Path> cl = KernelSources.emitAll(KernelSources.kernelsOf(MathKernels.class), Target.OPENCL, out.resolve("cl"));
        assertEquals(8, cl.size());
        assertTrue(Files.readString(out.resolve("cl/MathKernels_softmaxRows.cl")).contains("__kernel void MathKernels_softmaxRows("));
    }
}
