package org.apbj.kernels.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.apbj.kernels.testing.TestSeed;
import org.junit.jupiter.api.Test;

/**
 * The Java meaning of the bulk tensor copy: boxes anywhere over (and past) the tensor's edges land
 * in shared memory by the hardware's 128-byte swizzle (byte address bits 4–6 XOR bits 7–9) or
 * densely, zero outside the tensor, and complete the barrier's expected bytes.
 */
@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class BulkCopyTest {
    @Test
    void boxesLandSwizzledOrDenseWithZerosOutsideAndCompleteTheBarrier() {
        long seed = TestSeed.next();
        Random random = new Random(seed);
        for (int trial = 0; trial < 20; trial++) {
            TensorMap.Swizzle swizzle = random.nextBoolean() ? TensorMap.Swizzle.B128 : TensorMap.Swizzle.NONE;
            int width = 1 + random.nextInt(150), height = 1 + random.nextInt(100);
            int stride = (width + 7) / 8 * 8 + 8 * random.nextInt(3);
            int boxW = swizzle == TensorMap.Swizzle.B128 ? 64 : 8 * (1 + random.nextInt(8));
            int boxH = 1 + random.nextInt(40);
            short[] values = new short[stride * (height - 1) + width];
            for (int i = 0; i < values.length; i++) values[i] = (short) random.nextInt(1 << 16);
            TensorMap map = TensorMap.tiled2d(BF16Array.fromArray(values), width, height, stride, boxW, boxH, swizzle);
            int x = 8 * Math.floorDiv(random.nextInt(width + 20) - 10, 8), y = random.nextInt(height + 20) - 10;
            int smemAt = WarpGroup.ATOM_INTS * random.nextInt(3);
            int[] smem = new int[smemAt + boxW * boxH / 2 + WarpGroup.ATOM_INTS];
            long[] bars = new long[2];
            Mbarrier.init(null, bars, 1, 1);
            Mbarrier.arriveExpectTx(null, bars, 1, map.boxBytes());
            BulkCopy.load2d(null, smem, smemAt, map, x, y, bars, 1);
            Mbarrier.waitParity(null, bars, 1, 0);   // completed: would time out otherwise
            String where = "trial " + trial + " (" + swizzle + ", " + width + "x" + height + " box " + boxW + "x" + boxH + " at "
                    + x + "," + y + ", seed " + seed + ")";
            for (int r = 0; r < boxH; r++) {
                for (int c = 0; c < boxW; c++) {
                    int row = y + r, col = x + c;
                    int want = row >= 0 && row < height && col >= 0 && col < width ? values[row * stride + col] & 0xffff : 0;
                    int logical = 4 * smemAt + 2 * (r * boxW + c);
                    int physical = swizzle == TensorMap.Swizzle.B128 ? logical ^ (((logical >> 7) & 7) << 4) : logical;
                    int got = (smem[physical >> 2] >>> (8 * (physical & 2))) & 0xffff;
                    assertEquals(want, got, "box element " + r + "," + c + " of " + where);
                }
            }
        }
    }

    @Test
    void mapsOutsideTheHardwareLimitsAreRejectedWithTheFix() {
        BF16Array a = BF16Array.allocate(64 * 64);
        String stride = assertThrows(IllegalArgumentException.class,
                () -> TensorMap.tiled2d(a, 60, 64, 60, 64, 64, TensorMap.Swizzle.B128)).getMessage();
        assertTrue(stride.contains("multiple of 16 bytes"), stride);
        String box = assertThrows(IllegalArgumentException.class,
                () -> TensorMap.tiled2d(a, 64, 64, 64, 32, 64, TensorMap.Swizzle.B128)).getMessage();
        assertTrue(box.contains("use boxWidth 64 or Swizzle.NONE"), box);
        String past = assertThrows(IllegalArgumentException.class,
                () -> TensorMap.tiled2d(a, 64, 65, 64, 64, 64, TensorMap.Swizzle.NONE)).getMessage();
        assertTrue(past.contains("reaches past"), past);
    }

    @Test
    void boxesStartOnSixteenByteColumns() {
        TensorMap map = TensorMap.tiled2d(BF16Array.allocate(64 * 64), 64, 64, 64, 64, 8, TensorMap.Swizzle.B128);
        String msg = assertThrows(IllegalArgumentException.class,
                () -> BulkCopy.load2d(null, new int[WarpGroup.ATOM_INTS], 0, map, 3, 0, new long[1], 0)).getMessage();
        assertTrue(msg.contains("multiple of 8") && msg.contains("16-byte"), msg);
    }
}
