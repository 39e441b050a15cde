package org.apbj.kernels.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
 * The Hopper-only kernels (wgmma) compile for sm_90a, with the rest of the library, and assemble
 * there; for plain sm_90 they are a compile error that names the feature.
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
            var hopper = KernelLibrary.hopperSpecialisations();
            List<Path> ptx90a = KernelSources.emit(hopper, Target.SM_90A, out.resolve("ptx90a"));
            assertTrue(!hopper.isEmpty() && ptx90a.size() == hopper.size(), "sm_90a " + ptx90a.size() + " of " + hopper.size());
            var portableHopper = hopper.stream().filter(h -> !KernelLibrary.gpuOnly().contains(h.kernel())).toList();
            assertEquals(portableHopper.size(), KernelSources.emit(portableHopper, Target.OPENCL, out.resolve("cl-hopper")).size());
            var handOff = hopper.stream().filter(h -> KernelLibrary.gpuOnly().contains(h.kernel())).findFirst().orElseThrow();
            String openClError = assertThrows(KernelCompileException.class, () -> KernelCompiler.compileUncached(handOff.kernel(),
                    Target.OPENCL, KernelCompiler.constantValues(handOff.kernel(), handOff.launchArgs()))).getMessage();
            assertTrue(openClError.contains("cannot run on OpenCL") || openClError.contains("only PTX targets"), openClError);
            for (Path p : ptx90a) {
                assertTrue(Files.readString(p).contains("wgmma.mma_async"), p.toString());
                assertNull(Ptxas.check(Files.readString(p), "sm_90a", out), p.toString());
            }
            String error = assertThrows(KernelCompileException.class,
                    () -> KernelCompiler.compileUncached(hopper.getFirst().kernel(), Target.SM_90,
                            KernelCompiler.constantValues(hopper.getFirst().kernel(), hopper.getFirst().launchArgs())))
                    .getMessage();
            assertTrue(error.contains("WGMMA") && error.contains("sm_90a"), error);
        } finally {
            if (previous == null) System.clearProperty(KernelCache.DIR_PROPERTY);
            else System.setProperty(KernelCache.DIR_PROPERTY, previous);
        }
    }
}
