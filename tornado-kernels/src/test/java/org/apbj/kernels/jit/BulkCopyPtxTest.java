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
    static final Kernel BULK_TILE_3D = Kernel.of(HopperSyncKernels.class, "bulkTile3d");
    static final Kernel BULK_ROUND_TRIP = Kernel.of(HopperSyncKernels.class, "bulkRoundTrip");

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
    void threeDimensionalLoadsAndStoresLowerAndAssemble() throws Exception {
        String load3d = KernelCompiler.compileUncached(BULK_TILE_3D, Target.SM_90, new Object[6]).source();
        assertTrue(load3d.contains("cp.async.bulk.tensor.3d.shared::cluster.global.tile.mbarrier::complete_tx::bytes"), load3d);
        String store = KernelCompiler.compileUncached(BULK_ROUND_TRIP, Target.SM_90, new Object[7]).source();
        assertTrue(store.contains("cp.async.bulk.tensor.2d.global.shared::cta.tile.bulk_group"), store);
        assertTrue(store.contains("cp.async.bulk.commit_group;") && store.contains("cp.async.bulk.wait_group 0;"), store);
        assertTrue(store.contains(".param .align 64 .b8 _p_src[128]") && store.contains(".param .align 64 .b8 _p_dst[128]"), store);
        assumeTrue(Ptxas.available(), "ptxas is not on the PATH: skipping the assembly");
        assertNull(Ptxas.check(load3d, "sm_90", work));
        assertNull(Ptxas.check(store, "sm_90", work));
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

    /** load3d on the Java device: plane after plane, zeros outside, against indexing done here. */
    @Test
    void javaDeviceCopiesThreeDimensionalBoxes() {
        long seed = TestSeed.next();
        Random random = new Random(seed);
        int width = 40, height = 6, depth = 9, stride = 48, plane = stride * height + 16;
        short[] values = new short[plane * depth];
        for (int i = 0; i < values.length; i++) values[i] = (short) (1 + random.nextInt(30000));
        try (JavaDevice device = new JavaDevice()) {
            BF16Array src = device.upload(BF16Array.fromArray(values));
            TensorMap map = TensorMap.tiled3d(src, width, height, depth, stride, plane, 16, 4, 3, TensorMap.Swizzle.NONE);
            I32Array out = device.allocI32(HopperSyncKernels.BOX_INTS);
            int x = 32, y = 4, z = 7;   // past the width, the height and the depth
            device.launch(BULK_TILE_3D, Grid.groups(1, 128), out, map, x, y, z, map.boxBytes());
            for (int p = 0; p < 3; p++) {
                for (int r = 0; r < 4; r++) {
                    for (int c = 0; c < 16; c++) {
                        int at = (p * 4 + r) * 16 + c;   // element index in the dense box
                        int word = out.get(at / 2);
                        int got = at % 2 == 1 ? word >>> 16 : word & 0xffff;
                        boolean inside = x + c < width && y + r < height && z + p < depth;
                        int want = inside ? values[(z + p) * plane + (y + r) * stride + x + c] & 0xffff : 0;
                        assertEquals(want, got, "seed " + seed + ": plane " + p + " row " + r + " column " + c);
                    }
                }
            }
        }
    }

    /** store2d on the Java device: the box, incremented, lands at its new place; nothing outside the tensor is written. */
    @Test
    void javaDeviceStoresTheBoxInsideTheTensorOnly() {
        long seed = TestSeed.next();
        Random random = new Random(seed);
        int width = 72, height = 20;
        short[] values = new short[width * height];
        for (int i = 0; i < values.length; i++) values[i] = (short) random.nextInt(30000);
        try (JavaDevice device = new JavaDevice()) {
            BF16Array src = device.upload(BF16Array.fromArray(values));
            BF16Array dst = device.allocBF16((long) width * height);
            TensorMap in = TensorMap.tiled2d(src, width, height, width, 64, 16, TensorMap.Swizzle.B128);
            TensorMap out = TensorMap.tiled2d(dst, width, height, width, 64, 16, TensorMap.Swizzle.B128);
            int x = 8, y = 2, ox = 24, oy = 10;   // the store reaches 16 columns and 6 rows past the tensor
            device.launch(BULK_ROUND_TRIP, Grid.groups(1, 128), in, out, x, y, ox, oy, in.boxBytes());
            for (int r = 0; r < height; r++) {
                for (int c = 0; c < width; c++) {
                    int br = r - oy, bc = c - ox;
                    boolean stored = br >= 0 && br < 16 && bc >= 0 && bc < 64;
                    boolean sourceInside = x + bc < width && y + br < height;
                    int want = !stored ? 0 : ((sourceInside ? values[(y + br) * width + x + bc] & 0xffff : 0) + 1) & 0xffff;
                    assertEquals(want, dst.get((long) r * width + c) & 0xffff, "seed " + seed + ": row " + r + " column " + c);
                }
            }
        }
    }
}
