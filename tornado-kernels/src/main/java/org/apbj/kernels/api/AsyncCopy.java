package org.apbj.kernels.api;

/**
 * Asynchronous copies from global to shared memory (PTX {@code cp.async}, sm_80 and later), in
 * the KernelContext style: a work-item starts copies, closes them into a group with
 * {@link #commit}, and later waits until at most N of its groups are still in flight
 * ({@link #waitPending}); then a barrier makes every work-item's copies visible to the group.
 * Loads of the next tile thus overlap the math on the current one without passing through
 * registers.
 *
 * <p>Sizes: 16 bytes ({@link #copy16}, cp.async.cg: bypasses L1), 4 and 8 bytes ({@code copy4},
 * {@code copy8}, of bf16 pairs into shared ints or of fp32 into shared floats; cp.async.ca, the
 * only form for copies under 16 bytes), each with zero-fill for what lies outside the source.
 * Every address must be aligned to the copy's size.
 *
 * <p>The Java bodies are the meaning: the copy happens at once and commit and wait do nothing.
 * The OpenCL backend compiles these bodies; the PTX backend emits the asynchronous instructions.
 */
@IntrinsicClass
public final class AsyncCopy {
    private AsyncCopy() {}

    /**
     * Starts copying 16 bytes, bf16 elements src[srcAt .. srcAt + 8), into the ints
     * dst[dstAt .. dstAt + 4) of a shared array (packed pairs, the lower element in the low
     * half); with {@code inBounds} false the four ints become zeros and src is not read
     * (zero-fill past the end of a matrix). srcAt must be a multiple of 8 and dstAt of 4 (16-byte
     * alignment), and src's rows must start 16-byte aligned.
     */
    public static void copy16(KernelContext ctx, int[] dst, int dstAt, BF16Array src, int srcAt, boolean inBounds) {
        for (int j = 0; j < 4; j++) {
            int lo = inBounds ? src.get(srcAt + 2 * j) & 0xffff : 0;
            int hi = inBounds ? src.get(srcAt + 2 * j + 1) & 0xffff : 0;
            dst[dstAt + j] = lo | (hi << 16);
        }
    }

    /**
     * Starts copying 4 bytes, bf16 elements src[srcAt], src[srcAt + 1], into the int dst[dstAt]
     * of a shared array (the lower element in the low half); with {@code inBounds} false it becomes
     * 0 and src is not read. srcAt must be even (4-byte alignment). PTX: cp.async.ca, 4 bytes.
     */
    public static void copy4(KernelContext ctx, int[] dst, int dstAt, BF16Array src, int srcAt, boolean inBounds) {
        int lo = inBounds ? src.get(srcAt) & 0xffff : 0;
        int hi = inBounds ? src.get(srcAt + 1) & 0xffff : 0;
        dst[dstAt] = lo | (hi << 16);
    }

    /**
     * Starts copying 8 bytes, bf16 elements src[srcAt .. srcAt + 4), into the ints
     * dst[dstAt .. dstAt + 2) of a shared array (packed pairs as in {@link #copy16}); with
     * {@code inBounds} false both become 0 and src is not read. srcAt must be a multiple of 4 and
     * dstAt of 2 (8-byte alignment). PTX: cp.async.ca, 8 bytes.
     */
    public static void copy8(KernelContext ctx, int[] dst, int dstAt, BF16Array src, int srcAt, boolean inBounds) {
        for (int j = 0; j < 2; j++) {
            int lo = inBounds ? src.get(srcAt + 2 * j) & 0xffff : 0;
            int hi = inBounds ? src.get(srcAt + 2 * j + 1) & 0xffff : 0;
            dst[dstAt + j] = lo | (hi << 16);
        }
    }

    /**
     * Starts copying 4 bytes, the fp32 element src[srcAt], into dst[dstAt] of a shared float
     * array (the bits unchanged); with {@code inBounds} false it becomes +0.0 and src is not read.
     * PTX: cp.async.ca, 4 bytes.
     */
    public static void copy4(KernelContext ctx, float[] dst, int dstAt, F32Array src, int srcAt, boolean inBounds) {
        dst[dstAt] = inBounds ? src.get(srcAt) : 0.0f;
    }

    /**
     * Starts copying 8 bytes, fp32 elements src[srcAt], src[srcAt + 1], into dst[dstAt],
     * dst[dstAt + 1] of a shared float array; with {@code inBounds} false both become +0.0 and src
     * is not read. srcAt and dstAt must be even (8-byte alignment). PTX: cp.async.ca, 8 bytes.
     */
    public static void copy8(KernelContext ctx, float[] dst, int dstAt, F32Array src, int srcAt, boolean inBounds) {
        for (int j = 0; j < 2; j++) dst[dstAt + j] = inBounds ? src.get(srcAt + j) : 0.0f;
    }

    /** Closes this work-item's copies started since the last commit into one group (cp.async.commit_group). */
    public static void commit(KernelContext ctx) {}

    /**
     * Waits until at most {@code pending} of this work-item's committed groups are still in
     * flight (cp.async.wait_group; a compile-time constant). A barrier after it makes the
     * finished copies of every work-item visible to the whole group.
     */
    public static void waitPending(KernelContext ctx, int pending) {}
}
