package org.apbj.kernels.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.TensorMap;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.Grid;
import org.apbj.kernels.testing.TestSeed;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The bulk tensor copy on the GPU (the tensor map encoded by the driver, passed by value, the
 * copy completing on an mbarrier) lands exactly what BulkCopy's Java meaning lands on the Java
 * device: random tensors, boxes reaching past the tensor's edges, both swizzles.
 */
@Tag("gpu")
@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class CudaBulkCopyTest {
    @Test
    void boxesMatchTheJavaMeaning() {
        long seed = TestSeed.next();
        Random random = new Random(seed);
        try (Device cuda = OpenClCorpusTest.open(Backend.CUDA); Device java = OpenClCorpusTest.open(Backend.JAVA)) {
            for (int trial = 0; trial < 6; trial++) {
                int width = 8 * (8 + random.nextInt(40)), height = 20 + random.nextInt(200);
                int stride = width + 8 * random.nextInt(3);
                boolean swizzled = trial % 2 == 0;
                int boxW = swizzled ? 64 : 8 * (1 + random.nextInt(8)), boxH = 1 + random.nextInt(128);
                int x = 8 * random.nextInt(width / 8), y = random.nextInt(height);   // x: whole 16-byte chunks
                short[] values = new short[stride * height];
                for (int i = 0; i < values.length; i++) values[i] = (short) random.nextInt(65536);
                TensorMap.Swizzle swizzle = swizzled ? TensorMap.Swizzle.B128 : TensorMap.Swizzle.NONE;
                String shape = width + "x" + height + " stride " + stride + ", box " + boxW + "x" + boxH + " at (" + x + ", " + y
                        + "), " + swizzle;
                System.out.println("CudaBulkCopyTest trial " + trial + ": " + shape);
                int[] got = run(cuda, values, width, height, stride, boxW, boxH, swizzle, x, y);
                int[] want = run(java, values, width, height, stride, boxW, boxH, swizzle, x, y);
                for (int i = 0; i < want.length; i++) {
                    int at = i;
                    assertEquals(want[i], got[i], () -> "seed " + seed + ": " + shape + ": int " + at);
                }
            }
        }
    }

    private static int[] run(Device d, short[] values, int width, int height, int stride, int boxW, int boxH,
                             TensorMap.Swizzle swizzle, int x, int y) {
        try (BF16Array src = d.upload(BF16Array.fromArray(values)); I32Array out = d.allocI32(HopperSyncKernels.BOX_INTS)) {
            TensorMap map = TensorMap.tiled2d(src, width, height, stride, boxW, boxH, swizzle);
            d.launch(BulkCopyPtxTest.BULK_TILE, Grid.groups(1, 128), out, map, x, y, map.boxBytes());
            I32Array host = I32Array.allocate(HopperSyncKernels.BOX_INTS);
            d.copyOut(host, out);
            int[] ints = new int[map.boxBytes() / 4];
            for (int i = 0; i < ints.length; i++) ints[i] = host.get(i);
            return ints;
        }
    }

    /** Rank-3 loads and the shared-to-tensor store on the GPU against the Java device, random shapes. */
    @Test
    void threeDimensionalLoadsAndStoresMatchTheJavaMeaning() {
        long seed = TestSeed.next();
        Random random = new Random(seed);
        try (Device cuda = OpenClCorpusTest.open(Backend.CUDA); Device java = OpenClCorpusTest.open(Backend.JAVA)) {
            for (int trial = 0; trial < 4; trial++) {
                int width = 8 * (2 + random.nextInt(20)), height = 1 + random.nextInt(12), depth = 1 + random.nextInt(40);
                int stride = width + 8 * random.nextInt(2), plane = stride * height + 8 * random.nextInt(2);
                int boxW = 8 * (1 + random.nextInt(8)), boxH = 1 + random.nextInt(8), boxD = 1 + random.nextInt(8);
                int x = 8 * random.nextInt(width / 8), y = random.nextInt(height), z = random.nextInt(depth);
                short[] values = new short[plane * depth];
                for (int i = 0; i < values.length; i++) values[i] = (short) random.nextInt(65536);
                String shape = width + "x" + height + "x" + depth + " strides " + stride + "/" + plane + ", box " + boxW + "x" + boxH
                        + "x" + boxD + " at (" + x + ", " + y + ", " + z + ")";
                int[] got = load3d(cuda, values, width, height, depth, stride, plane, boxW, boxH, boxD, x, y, z);
                int[] want = load3d(java, values, width, height, depth, stride, plane, boxW, boxH, boxD, x, y, z);
                for (int i = 0; i < want.length; i++) {
                    int at = i;
                    assertEquals(want[i], got[i], () -> "seed " + seed + ": load3d " + shape + ": int " + at);
                }
            }
            for (int trial = 0; trial < 4; trial++) {
                int width = 8 * (8 + random.nextInt(20)), height = 8 + random.nextInt(60);
                int boxH = 1 + random.nextInt(64);
                int x = 8 * random.nextInt(width / 8), y = random.nextInt(height);
                int ox = 8 * random.nextInt(width / 8), oy = random.nextInt(height);
                short[] values = new short[width * height];
                for (int i = 0; i < values.length; i++) values[i] = (short) random.nextInt(30000);
                String shape = width + "x" + height + ", box 64x" + boxH + " from (" + x + ", " + y + ") to (" + ox + ", " + oy + ")";
                short[] got = roundTrip(cuda, values, width, height, boxH, x, y, ox, oy);
                short[] want = roundTrip(java, values, width, height, boxH, x, y, ox, oy);
                for (int i = 0; i < want.length; i++) {
                    int at = i;
                    assertEquals(want[i], got[i], () -> "seed " + seed + ": store2d " + shape + ": element " + at);
                }
            }
        }
    }

    private static int[] load3d(Device d, short[] values, int width, int height, int depth, int stride, int plane, int boxW,
                                int boxH, int boxD, int x, int y, int z) {
        try (BF16Array src = d.upload(BF16Array.fromArray(values)); I32Array out = d.allocI32(HopperSyncKernels.BOX_INTS)) {
            TensorMap map = TensorMap.tiled3d(src, width, height, depth, stride, plane, boxW, boxH, boxD, TensorMap.Swizzle.NONE);
            d.launch(BulkCopyPtxTest.BULK_TILE_3D, Grid.groups(1, 128), out, map, x, y, z, map.boxBytes());
            I32Array host = I32Array.allocate(HopperSyncKernels.BOX_INTS);
            d.copyOut(host, out);
            int[] ints = new int[map.boxBytes() / 4];
            for (int i = 0; i < ints.length; i++) ints[i] = host.get(i);
            return ints;
        }
    }

    private static short[] roundTrip(Device d, short[] values, int width, int height, int boxH, int x, int y, int ox, int oy) {
        try (BF16Array src = d.upload(BF16Array.fromArray(values)); BF16Array dst = d.upload(BF16Array.fromArray(new short[values.length]))) {
            TensorMap in = TensorMap.tiled2d(src, width, height, width, 64, boxH, TensorMap.Swizzle.B128);
            TensorMap out = TensorMap.tiled2d(dst, width, height, width, 64, boxH, TensorMap.Swizzle.B128);
            d.launch(BulkCopyPtxTest.BULK_ROUND_TRIP, Grid.groups(1, 128), in, out, x, y, ox, oy, in.boxBytes());
            BF16Array host = BF16Array.fromArray(new short[values.length]);
            d.copyOut(host, dst);
            short[] result = new short[values.length];
            for (int i = 0; i < result.length; i++) result[i] = host.get(i);
            return result;
        }
    }
}
