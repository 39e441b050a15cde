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
}
