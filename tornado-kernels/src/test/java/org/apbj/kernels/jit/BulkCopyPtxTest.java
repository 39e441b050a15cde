package org.apbj.kernels.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.Random;
import org.apbj.kernels.testing.TestSeed;
import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.Kernel;
import org.apbj.kernels.api.TensorMap;
import org.apbj.kernels.runtime.Grid;
import org.apbj.kernels.runtime.java.JavaDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * BulkCopy.load2d (TMA) through the compiler: a TensorMap kernel parameter travels by value
 * (128 bytes, 64-aligned) and is addressed generically; the copy lowers to one
 * cp.async.bulk.tensor.2d completing on the mbarrier; sm_90 has it, sm_80 and OpenCL refuse it
 * with errors that name the feature. The GPU run against the Java meaning is in CudaKernelsTest.
 */
class BulkCopyPtxTest {
    @TempDir
    static Path work;

    static final Kernel BULK_TILE = Kernel.of(HopperSyncKernels.class, "bulkTile");

    @Test
    void tensorMapParameterAndCopyLowerAndAssemble() throws Exception {
        String ptx = KernelCompiler.compileUncached(BULK_TILE, Target.SM_90, new Object[5]).source();
        assertTrue(ptx.contains(".param .align 64 .b8 _p_map[128]"), ptx);
        assertTrue(ptx.contains("cvta.param.u64"), ptx);
        assertEquals(1, ptx.split("cp\\.async\\.bulk\\.tensor\\.2d\\.shared::cluster\\.global\\.tile\\.mbarrier::complete_tx::bytes", -1).length - 1, ptx);
        assertTrue(ptx.contains(".version 8.0"), "bulk tensor copies need PTX ISA 8.0:\n" + ptx);
        assumeTrue(Ptxas.available(), "ptxas is not on the PATH: skipping the assembly");
        assertNull(Ptxas.check(ptx, "sm_90", work));
    }

    @Test
    void olderTargetsAndOpenClRefuseWithTheReason() {
        String sm80 = assertThrows(KernelCompileException.class,
                () -> KernelCompiler.compileUncached(BULK_TILE, Target.SM_80, new Object[5])).getMessage();
        assertTrue(sm80.contains("needs") && sm80.contains("sm_90 or later") && sm80.contains("sm_80"), sm80);
        String cl = assertThrows(KernelCompileException.class,
                () -> KernelCompiler.compileUncached(BULK_TILE, Target.OPENCL, new Object[5])).getMessage();
        assertTrue(cl.contains("TensorMap") && cl.contains("Instead"), cl);
    }

    /** The Java device runs the kernel with BulkCopy's meaning: the box, zero-filled past the tensor, swizzled. */
    @Test
    void javaDeviceCopiesTheBoxWithZerosOutside() {
        long seed = TestSeed.next();
        Random random = new Random(seed);
        int width = 100, height = 50, stride = 104;
        short[] values = new short[stride * height];
        for (int i = 0; i < values.length; i++) values[i] = (short) (1 + random.nextInt(30000));
        try (JavaDevice device = new JavaDevice()) {
            BF16Array src = device.upload(BF16Array.fromArray(values));
            TensorMap map = TensorMap.tiled2d(src, width, height, stride, 64, 32, TensorMap.Swizzle.B128);
            I32Array out = device.allocI32(HopperSyncKernels.BOX_INTS);
            int x = 64, y = 40;   // the box reaches 28 columns and 22 rows past the tensor
            device.launch(BULK_TILE, Grid.groups(1, 128), out, map, x, y, map.boxBytes());
            for (int r = 0; r < 32; r++) {
                for (int c = 0; c < 64; c++) {
                    int logical = r * 128 + 2 * c;   // byte offset in the unswizzled box
                    int physical = logical ^ (((logical >> 7) & 7) << 4);
                    int word = out.get(physical / 4);
                    int got = (physical & 2) != 0 ? word >>> 16 : word & 0xffff;
                    boolean inside = x + c < width && y + r < height;
                    int want = inside ? values[(y + r) * stride + x + c] & 0xffff : 0;
                    assertEquals(want, got, "seed " + seed + ": box row " + r + " column " + c);
                }
            }
        }
    }
}
