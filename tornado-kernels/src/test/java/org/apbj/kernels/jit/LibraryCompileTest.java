package org.apbj.kernels.jit;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apbj.kernels.lib.KernelLibrary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every library kernel without @Constant parameters compiles through emitAll; its PTX
 * assembles with ptxas (when present). Kernels with constants are compiled with their launch
 * values by the library's own device tests.
 */
class LibraryCompileTest {
    @TempDir
    Path out;

    @Test
    void libraryKernelsCompileAndAssemble() throws Exception {
        String previous = System.getProperty(KernelCache.DIR_PROPERTY);
        System.setProperty(KernelCache.DIR_PROPERTY, out.resolve("cache").toString());
        try {
            List<Path> ptx = KernelSources.emitAll(KernelLibrary.all(), Target.SM_90, out.resolve("ptx"));
            List<Path> cl = KernelSources.emitAll(KernelLibrary.all(), Target.OPENCL, out.resolve("cl"));
            assertTrue(ptx.size() > 1 && ptx.size() == cl.size(), "ptx " + ptx + " cl " + cl);
            assumeTrue(Ptxas.available(), "ptxas is not on the PATH: skipping assembly");
            for (Path p : ptx) {
                if (p.toString().endsWith(".ptx")) assertNull(Ptxas.check(Files.readString(p), "sm_90", out), p.toString());
            }
        } finally {
            if (previous == null) System.clearProperty(KernelCache.DIR_PROPERTY);
            else System.setProperty(KernelCache.DIR_PROPERTY, previous);
        }
    }
}
