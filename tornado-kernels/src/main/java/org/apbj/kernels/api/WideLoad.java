package org.apbj.kernels.api;

/**
 * 16-byte global loads: one instruction brings 16 contiguous bytes of a device array into a
 * work-item's registers (PTX {@code ld.global.nc.v2.u64} / {@code ld.global.nc.v4.f32}, OpenCL
 * {@code vload2} / {@code vload4}). Memory-bound kernels that stream a large read-only array
 * (the few-row products' weights) issue half the load instructions of 8-byte loads and keep
 * twice the bytes in flight per instruction.
 *
 * <p>Rules (the Java bodies below check the first; a GPU traps on a misaligned address):
 * <ul>
 *   <li>{@code index} is a multiple of the elements per load (2 longs, 4 floats) and the array
 *       starts 16-byte aligned (device allocations are), so the address is 16-byte aligned;</li>
 *   <li>the array is not written by the kernel that reads it this way (on PTX the load takes the
 *       read-only, non-coherent path; writes by earlier launches are seen);</li>
 *   <li>{@code dstAt} is a compile-time constant (a literal or a loop variable of an
 *       {@link Unroll} method), so that {@code dst} stays in registers.</li>
 * </ul>
 */
@IntrinsicClass
public final class WideLoad {
    private WideLoad() {}

    /** {@code dst[dstAt], dst[dstAt + 1] = src[index], src[index + 1]}; index even. */
    public static void load2(long[] dst, int dstAt, I64Array src, int index) {
        aligned(index, 2);
        dst[dstAt] = src.get(index);
        dst[dstAt + 1] = src.get(index + 1);
    }

    /** {@code dst[dstAt + i] = src[index + i]} for i &lt; 4; index a multiple of 4. */
    public static void load4(float[] dst, int dstAt, F32Array src, int index) {
        aligned(index, 4);
        for (int i = 0; i < 4; i++) dst[dstAt + i] = src.get(index + i);
    }

    private static void aligned(int index, int per) {
        if (index % per != 0) {
            throw new IllegalArgumentException("WideLoad: index " + index + " is not a multiple of " + per
                    + " (a 16-byte load must be 16-byte aligned): round the index down, or load element by element");
        }
    }
}
