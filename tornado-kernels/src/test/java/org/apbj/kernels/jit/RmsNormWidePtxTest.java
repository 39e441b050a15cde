package org.apbj.kernels.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;

import org.apbj.kernels.lib.KernelLibrary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The RMSNorm that reads x once as ptxas sees it: x in two 16-byte loads and the weights in one
 * per work-item, the eight values kept in registers across the group's reduction (no local
 * memory, no spills), and few enough registers that four groups of 512 (the 8B hidden size) fit
 * on a multiprocessor, so that ~64 KiB of x are in flight per SM.
 */
class RmsNormWidePtxTest {
    @TempDir
    static Path work;

    @Test
    void wideLoadsRegistersOnly() throws Exception {
        assumeTrue(Ptxas.available(), "ptxas is not on the PATH: skipping the PTX resource checks");
        Object[] args = {null, 0, null, 0, null, 0, 0f};
        CompiledKernel k = KernelCompiler.compileUncached(KernelLibrary.RMS_NORM_BF16_WIDE, Target.SM_90,
                KernelCompiler.constantValues(KernelLibrary.RMS_NORM_BF16_WIDE, args));
        String ptx = k.source();
        assertEquals(2, count(ptx, "ld.global.nc.v4.f32"), "x in two 16-byte loads");
        assertEquals(1, count(ptx, "ld.global.nc.v2.s64") + count(ptx, "ld.global.nc.v2.u64"), "the weights in one 16-byte load");
        assertEquals(0, count(ptx, ".local"), "no private array left in local memory");
        Ptxas.Resources r = Ptxas.resources(ptx, "sm_90", work);
        System.out.println("rmsNormBf16Wide: " + r.registers() + " registers, " + r.spillStoreBytes() + " bytes spilled");
        assertEquals(0, r.spillStoreBytes(), r::report);
        assertTrue(r.registers() <= 65536 / (4 * 512), () -> "fewer than four groups of 512 fit:\n" + r.report());
    }

    private static int count(String text, String what) {
        return text.split(java.util.regex.Pattern.quote(what), -1).length - 1;
    }
}
