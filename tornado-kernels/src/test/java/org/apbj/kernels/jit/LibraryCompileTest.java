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
 * Every library kernel, in every specialisation of its @Constant parameters the model uses,
 * compiles to PTX and OpenCL C; its PTX assembles with ptxas for sm_90 (when ptxas is present).
 */
class LibraryCompileTest {
    @TempDir
    Path out;

    @Test
    void libraryKernelsCompileAndAssemble() throws Exception {
        String previous = System.getProperty(KernelCache.DIR_PROPERTY);
        System.setProperty(KernelCache.DIR_PROPERTY, out.resolve("cache").toString());
        try {
            var all = KernelLibrary.specialisations();
            List<Path> ptx = KernelSources.emit(all, Target.SM_90, out.resolve("ptx"));
            List<Path> cl = KernelSources.emit(all, Target.OPENCL, out.resolve("cl"));
            assertTrue(all.size() > KernelLibrary.all().size() && ptx.size() == all.size() && cl.size() == all.size(),
                    "ptx " + ptx.size() + " cl " + cl.size() + " of " + all.size());
            assumeTrue(Ptxas.available(), "ptxas is not on the PATH: skipping assembly");
            for (Path p : ptx) {
                assertNull(Ptxas.check(Files.readString(p), "sm_90", out), p.toString());
            }
        } finally {
            if (previous == null) System.clearProperty(KernelCache.DIR_PROPERTY);
            else System.setProperty(KernelCache.DIR_PROPERTY, previous);
        }
    }
}
