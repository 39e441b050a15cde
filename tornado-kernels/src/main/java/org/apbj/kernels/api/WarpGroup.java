package org.apbj.kernels.api;

/**
 * Warpgroup matrix products on Hopper tensor cores (PTX {@code wgmma.mma_async}, sm_90a), in the
 * KernelContext style: the 128 work-items of a warpgroup (four consecutive warps, work-items
 * 128·g … 128·g + 127 of the group) call these methods together.
 *
 * <p>{@link #mmaBf16} multiplies a 64×16 slice of A by the transpose of an n×16 slice of B,
 * both bf16 and both read straight from shared memory, and adds the product to fp32
 * accumulators held in registers across the warpgroup. The tiles are stored "K-major with the
 * 128-byte swizzle": each row holds 64 bf16 (128 bytes, 32 ints of packed pairs); within each
 * group of 8 rows (1024 bytes), the 16-byte chunk c of row r sits at chunk position
 * {@code c ^ (r % 8)} ({@link #swizzled}). That is the layout the tensor cores read without
 * bank conflicts and the one the bulk tensor copy writes with 128-byte swizzling. Tiles start
 * on 1024-byte boundaries (int index a multiple of 256 from the start of their shared array;
 * the compiler aligns shared arrays of such kernels to 1024 bytes).
 *
 * <p>Accumulator layout, {@code float[n / 2]} per work-item: with {@code w} the warp within the
 * warpgroup, {@code g = lane / 4}, {@code t = lane % 4}, element {@code 4j + e} is
 * D[16w + g + 8·(e / 2)][8j + 2t + e % 2] — the mma.m16n8 layout repeated over n / 8 column
 * blocks.
 *
 * <p>The products are asynchronous on the GPU: issue them after {@link #fence}, close them into
 * a group with {@link #commit} and wait with {@link #waitPending} before the accumulators are
 * read or the shared tiles overwritten. Shared memory written by ordinary stores or cp.async
 * must pass {@link #fenceAsyncProxy} (then a barrier) before a product reads it.
 *
 * <p>The Java bodies are the meaning: the product happens at once, in fp32 fused multiply-adds
 * in k order, and the fences, commit and wait do nothing. Tensor cores sum in another order, so
 * results agree to fp32 rounding of the sum, not bit for bit. The OpenCL backend compiles these
 * bodies; the PTX backend emits the instructions (target sm_90a).
 */
@IntrinsicClass
public final class WarpGroup {
    private WarpGroup() {}

    /** Work-items per warpgroup. */
    public static final int SIZE = 128;
    /** Rows of A (and of the accumulator tile) per product. */
    public static final int M = 64;
    /** Depth of one product. */
    public static final int K = 16;
    /** bf16 elements per row of a 128-byte-swizzled tile. */
    public static final int ROW_ELEMENTS = 64;
    /** Ints (packed bf16 pairs) per row of a swizzled tile. */
    public static final int ROW_INTS = 32;
    /** Ints per 8-row swizzle atom (1024 bytes); tiles start at multiples of it. */
    public static final int ATOM_INTS = 256;

    /**
     * This work-item's warpgroup within its group (work-items 128·g … 128·g + 127 form warpgroup
     * g), read from lane 0 so that the compiler and ptxas see one value per warp: the role a
     * warp-specialised kernel branches on.
     */
    public static int index(KernelContext ctx) {
        return ctx.broadcast(ctx.localLinearId() / SIZE, 0);
    }

    /**
     * The int index of 16-byte chunk {@code chunk} (0..7, bf16 elements 8·chunk … 8·chunk + 7)
     * of row {@code row} of the swizzled tile starting at int index {@code tileAt}.
     */
    public static int swizzled(int tileAt, int row, int chunk) {
        return tileAt + row * ROW_INTS + ((chunk ^ (row & 7)) << 2);
    }

    /**
     * {@code acc[accAt .. accAt + n/2) = A · Bᵀ + (accumulate ? acc : 0)}: A is the 64×16 slice
     * at int index {@code aAt} of {@code a}, B the n×16 slice at {@code bAt} of {@code b}; each
     * index is a tile origin (multiple of {@link #ATOM_INTS}) plus {@code 8·s} for the k-slice s
     * (0..3) of the tile's 64 columns, plus {@code ATOM_INTS·i} to start at row 8i. n is a
     * compile-time constant, a multiple of 8 from 8 to 256; accAt a compile-time constant.
     */
    public static void mmaBf16(KernelContext ctx, float[] acc, int accAt, int n, int[] a, int aAt, int[] b, int bAt,
                               boolean accumulate) {
        int item = ctx.localLinearId() & (SIZE - 1);
        int lane = item & 31;
        int row0 = 16 * (item >> 5) + (lane >> 2);
        int col0 = 2 * (lane & 3);
        for (int j = 0; j < n / 8; j++) {
            for (int e = 0; e < 4; e++) {
                int row = row0 + 8 * (e >> 1);
                int col = col0 + 8 * j + (e & 1);
                float sum = accumulate ? acc[accAt + 4 * j + e] : 0.0f;
                for (int k = 0; k < K; k++) {
                    sum = KernelMath.fma(element(a, aAt, row, k), element(b, bAt, col, k), sum);
                }
                acc[accAt + 4 * j + e] = sum;
            }
        }
    }

    /**
     * {@code acc[accAt .. accAt + n/2) = A · B + (accumulate ? acc : 0)} with A from registers
     * and B stored by rows of k (PTX {@code wgmma ... {a}, descB, p, 1, 1, 1}: A register
     * operand, B "MN-major"), for products like P·V where P is a softmax of earlier
     * accumulators and V is stored [key][dim].
     *
     * <p>A, 64×16: {@code a[aAt .. aAt + 4)} is this work-item's fragment, the mma.m16n8k16 A
     * layout within each warp ({@link TensorCore}): warp w of the warpgroup holds rows
     * 16w … 16w + 15; with g = lane / 4 and t = lane % 4, a[aAt] = A[16w + g][2t, 2t + 1],
     * a[aAt + 1] = A[16w + g + 8][2t, 2t + 1], a[aAt + 2] = A[16w + g][2t + 8, 2t + 9],
     * a[aAt + 3] = A[16w + g + 8][2t + 8, 2t + 9], two bf16 per int, the lower column low. It
     * is the accumulator layout of a previous product, columns 16s … 16s + 15 of it
     * (accumulators 8s … 8s + 7 packed in pairs), so P needs no shuffles.
     *
     * <p>B, 16×n: row k (0..15) of B holds columns 0..63 as one 128-byte swizzled row of a tile
     * ({@link #swizzled}: B[k][8c .. 8c + 7] in chunk c of row k), so rows 8i … 8i + 7 are one
     * 1024-byte atom; {@code bAt} is the tile origin plus {@code ATOM_INTS·2·s} for rows 16s….
     * Columns 64j … 64j + 63 sit in the same layout {@code bBlockInts·j} ints further (a
     * compile-time constant, a multiple of {@link #ATOM_INTS} below 2^16 ints; it is the
     * descriptor's leading-dimension byte offset, the 1024 bytes between atoms of 8 rows its
     * stride byte offset). This is how V [keys][dims] lands by 16-byte copies of its rows.
     */
    public static void mmaBf16RegA(KernelContext ctx, float[] acc, int accAt, int n, int[] a, int aAt, int[] b, int bAt,
                                   int bBlockInts, boolean accumulate) {
        int lane = ctx.laneId();
        int rowGroup = lane & ~3;   // lanes 4g..4g+3 hold rows g and g+8 of the warp's 16 rows of A
        int t = lane & 3;
        // rowsA[4s + r] = register r of lane 4g + s: A[g or g+8][k pairs s and s + 4]
        int[] rowsA = new int[16];
        for (int s = 0; s < 4; s++) {
            for (int r = 0; r < 4; r++) rowsA[4 * s + r] = ctx.broadcast(a[aAt + r], rowGroup + s);
        }
        for (int j = 0; j < n / 8; j++) {
            for (int e = 0; e < 4; e++) {
                int high = e >> 1;
                int col = 8 * j + 2 * t + (e & 1);
                float sum = accumulate ? acc[accAt + 4 * j + e] : 0.0f;
                for (int k = 0; k < K; k++) {
                    int word = rowsA[4 * ((k & 7) >> 1) + high + ((k >> 3) << 1)];
                    // B[k][col] is element (row k, column col % 64) of the block of its column
                    float bv = element(b, bAt + (col >> 6) * bBlockInts, k, col & 63);
                    sum = KernelMath.fma(TensorCore.halfOf(word, k & 1), bv, sum);
                }
                acc[accAt + 4 * j + e] = sum;
            }
        }
    }

    /** Element (row, k) of the slice at {@code at}: the swizzle applies to the byte address's bits 4–6 from bits 7–9. */
    private static float element(int[] tile, int at, int row, int k) {
        int logical = 4 * at + 128 * row + 2 * k;
        int physical = logical ^ (((logical >> 7) & 7) << 4);
        int pair = tile[physical >> 2];
        return Float.intBitsToFloat((physical & 2) == 0 ? pair << 16 : pair & 0xffff0000);
    }

    /** Orders the warpgroup's register accesses before the products that follow (wgmma.fence). */
    public static void fence(KernelContext ctx) {}

    /** Closes the products issued since the last commit into one group (wgmma.commit_group). */
    public static void commit(KernelContext ctx) {}

    /** Waits until at most {@code pending} (a compile-time constant, 0..7) product groups are in flight (wgmma.wait_group). */
    public static void waitPending(KernelContext ctx, int pending) {}

    /**
     * Sets the registers per work-item of this warpgroup to {@code count} (a compile-time
     * constant, a multiple of 8 in 24..256), moving them between warpgroups: producers that only
     * issue copies give theirs up ({@code increase} false) so the consumers that hold
     * accumulators can grow (setmaxnreg.dec / .inc; sm_90a). Every work-item of the warpgroup
     * calls it. In Java only a mark that the warpgroups have roles of their own (their warps may
     * reach different shuffles, {@link WorkGroup#warpSpecialised}), whether or not they use named barriers.
     */
    public static void setMaxRegisters(KernelContext ctx, int count, boolean increase) {
        ctx.warpSpecialised();
    }

    /**
     * Makes this work-item's earlier shared-memory writes (stores, finished cp.async copies)
     * visible to the asynchronous proxy that products and bulk copies read through
     * (fence.proxy.async.shared::cta); a barrier after it covers the whole group.
     */
    public static void fenceAsyncProxy(KernelContext ctx) {}
}
