package org.apbj.kernels.api;

/**
 * Warp-level tensor-core matrix products (PTX {@code mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32}),
 * in the TornadoVM style: static methods taking the KernelContext that all 32 lanes of a warp
 * call together (uniform control flow, like shuffles; in OpenCL every work-item of the group).
 *
 * <p>A warp computes {@code D[16×8] = A[16×16] · B[16×8] + C[16×8]} with bf16 inputs and fp32
 * accumulators. Each lane holds a fixed part of every matrix in a private array ("fragment"):
 * with {@code g = laneId / 4} and {@code t = laneId % 4},
 * <ul>
 *   <li>A, {@code int[4]}, two bf16 per int (the lower column in the low 16 bits):
 *       a[0] = A[g][2t, 2t+1], a[1] = A[g+8][2t, 2t+1], a[2] = A[g][2t+8, 2t+9],
 *       a[3] = A[g+8][2t+8, 2t+9];</li>
 *   <li>B, {@code int[2]}: b[0] = B[2t, 2t+1][g], b[1] = B[2t+8, 2t+9][g] (the two k rows of
 *       column g, the lower k in the low bits);</li>
 *   <li>C and D, {@code float[4]}: acc[0] = D[g][2t], acc[1] = D[g][2t+1], acc[2] = D[g+8][2t],
 *       acc[3] = D[g+8][2t+1].</li>
 * </ul>
 * The fragments are private arrays indexed only by constants, which the compiler keeps in
 * registers. {@link #loadA} and {@link #loadB} read them from shared memory holding bf16 pairs
 * packed into ints ({@link #packBf16}, one instruction on the GPU): A row-major, B as Bᵀ
 * row-major (for y = x·Wᵀ, W itself).
 *
 * <p>The Java bodies are the reference semantics the Java device runs: the lanes exchange
 * fragments through shuffles and each computes its part of D with fp32 fused multiply-adds in
 * k order starting from C (products of bf16 values are exact in fp32). Tensor cores sum in
 * another order, so results agree to fp32 rounding of the sum, not bit for bit. The PTX
 * backend maps {@link #mmaBf16} to the instruction (sm_80 and later); the OpenCL backend
 * compiles the Java body (its shuffles go through the group's exchange buffer).
 */
@IntrinsicClass
public final class TensorCore {
    private TensorCore() {}

    /** Rows of the A, C and D tiles. */
    public static final int M = 16;
    /** Columns of the B, C and D tiles. */
    public static final int N = 8;
    /** Columns of A, rows of B. */
    public static final int K = 16;

    /**
     * {@code acc = A · B + acc} for the warp's 16×8 tile: acc float[4] (C in, D out), a int[4],
     * b int[2], this lane's fragments (see the class comment). Every lane of the warp calls it.
     */
    public static void mmaBf16(KernelContext ctx, float[] acc, int[] a, int[] b) {
        mmaBf16(ctx, acc, 0, a, 0, b, 0);
    }

    /**
     * {@link #mmaBf16(KernelContext, float[], int[], int[])} on fragments stored inside larger
     * private arrays: acc[accAt..accAt+4), a[aAt..aAt+4), b[bAt..bAt+2). The offsets must be
     * compile-time constants (literals, or loop variables of an {@link Unroll} method), so that
     * the arrays stay in registers.
     */
    public static void mmaBf16(KernelContext ctx, float[] acc, int accAt, int[] a, int aAt, int[] b, int bAt) {
        int lane = ctx.laneId();
        int rowGroup = lane & ~3;   // lane 4g: the four lanes 4g..4g+3 hold rows g and g+8 of A
        int t = lane & 3;
        // rowsA[4s + r] = register r of lane 4g + s: A[g or g+8][...] for k pairs s and s + 4
        int[] rowsA = new int[16];
        for (int s = 0; s < 4; s++) {
            for (int r = 0; r < 4; r++) rowsA[4 * s + r] = ctx.broadcast(a[aAt + r], rowGroup + s);
        }
        // colsB[8j + 2s + r] = register r of lane 4(2t + j) + s: column 2t + j of B, k pair s (+4 for r = 1)
        int[] colsB = new int[16];
        for (int j = 0; j < 2; j++) {
            for (int s = 0; s < 4; s++) {
                for (int r = 0; r < 2; r++) colsB[8 * j + 2 * s + r] = ctx.broadcast(b[bAt + r], 4 * (2 * t + j) + s);
            }
        }
        for (int i = 0; i < 4; i++) {
            int high = i >> 1;   // row g + 8
            int j = i & 1;       // column 2t + j
            float sum = acc[accAt + i];
            for (int k = 0; k < K; k++) {
                int s = (k & 7) >> 1;
                int wordA = rowsA[4 * s + high + ((k >> 3) << 1)];
                int wordB = colsB[8 * j + 2 * s + (k >> 3)];
                sum = KernelMath.fma(halfOf(wordA, k & 1), halfOf(wordB, k & 1), sum);
            }
            acc[accAt + i] = sum;
        }
    }

    /** The bf16 in the low (which 0) or high (which 1) half of a packed pair, as a float. */
    public static float halfOf(int pair, int which) {
        return Float.intBitsToFloat(which == 0 ? pair << 16 : pair & 0xffff0000);
    }

    /**
     * Two floats rounded to bf16 (to nearest even, as {@link KernelMath#floatToBf16}) and
     * packed, lo in the low 16 bits; a NaN becomes the canonical bf16 NaN 0x7fff (what the GPU's
     * one-instruction conversion, cvt.rn.bf16x2.f32, gives).
     */
    public static int packBf16(float lo, float hi) {
        return bf16Bits(lo) | (bf16Bits(hi) << 16);
    }

    private static int bf16Bits(float v) {
        return Float.isNaN(v) ? 0x7fff : KernelMath.floatToBf16(v) & 0xffff;
    }

    /**
     * This lane's offset into a shared tile of packed bf16 pairs with rows of {@code stride}
     * ints: {@code (laneId / 4) · stride + laneId % 4}. Add it to the tile's origin for
     * {@link #loadA} and {@link #loadB}.
     */
    public static int fragmentOffset(KernelContext ctx, int stride) {
        int lane = ctx.laneId();
        return (lane >> 2) * stride + (lane & 3);
    }

    /**
     * PTX {@code ldmatrix.sync.aligned.m8n8.x4.shared.b16}: four 8×8 bf16 matrices from shared
     * memory in one warp instruction. Each lane passes {@code rowAt}, the index in {@code tile}
     * of one matrix row (8 bf16 = 4 ints; the index must be a multiple of 4): lanes 8i..8i+7
     * the rows 0..7 of matrix i. Lane L receives in r[i] int (L % 4) of row L / 4 of matrix i,
     * which is the mma fragment layout: with {@link #matrixOffsetA} the four matrices are an A
     * fragment, with {@link #matrixOffsetB} the B fragments of two adjacent 8-column tiles
     * (r[0], r[1] and r[2], r[3]). Every lane of the warp calls it.
     */
    public static void loadMatrixX4(KernelContext ctx, int[] r, int[] tile, int rowAt) {
        loadMatrixX4(ctx, r, 0, tile, rowAt);
    }

    /** {@link #loadMatrixX4(KernelContext, int[], int[], int)} into r[rAt..rAt+4); rAt a compile-time constant. */
    public static void loadMatrixX4(KernelContext ctx, int[] r, int rAt, int[] tile, int rowAt) {
        int lane = ctx.laneId();
        for (int i = 0; i < 4; i++) {
            int row = ctx.broadcast(rowAt, 8 * i + (lane >> 2));
            r[rAt + i] = tile[row + (lane & 3)];
        }
    }

    /**
     * PTX {@code ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16}: as {@link #loadMatrixX4} but each
     * 8×8 matrix transposed: lane L receives in r[rAt + i] the elements (row 2·(L % 4), column L / 4)
     * in the low and (row 2·(L % 4) + 1, column L / 4) in the high half of matrix i. It loads B
     * fragments from a tile stored k-major (row = k, e.g. V[key][dim] for P·V): with the rows of
     * {@link #matrixOffsetA} (k rows 0-7 | 8-15 × columns 0-7 | 8-15) r[0], r[1] are the B fragment
     * of columns 0-7 and r[2], r[3] that of columns 8-15. Every lane of the warp calls it; rAt is a compile-time constant.
     */
    public static void loadMatrixX4Trans(KernelContext ctx, int[] r, int rAt, int[] tile, int rowAt) {
        int lane = ctx.laneId();
        int g = lane >> 2;
        int t = lane & 3;
        int shift = 16 * (g & 1);
        for (int i = 0; i < 4; i++) {
            int row0 = ctx.broadcast(rowAt, 8 * i + 2 * t);
            int row1 = ctx.broadcast(rowAt, 8 * i + 2 * t + 1);
            int lo = (tile[row0 + (g >> 1)] >>> shift) & 0xffff;
            int hi = (tile[row1 + (g >> 1)] >>> shift) & 0xffff;
            r[rAt + i] = lo | (hi << 16);
        }
    }


    /**
     * This lane's row for {@link #loadMatrixX4} of a 16×16 A tile (packed pairs, rows of
     * {@code stride} ints): matrices (rows 0-7 | 8-15) × (columns 0-7 | 8-15) in fragment order.
     */
    public static int matrixOffsetA(KernelContext ctx, int stride) {
        int lane = ctx.laneId();
        return ((lane & 7) + 8 * ((lane >> 3) & 1)) * stride + 4 * (lane >> 4);
    }

    /**
     * This lane's row for {@link #loadMatrixX4} of two B tiles stored as Bᵀ (16 rows of 16 k
     * values, e.g. 16 rows of W): the fragments of rows 0-7 in r[0], r[1], of rows 8-15 in r[2], r[3].
     */
    public static int matrixOffsetB(KernelContext ctx, int stride) {
        int lane = ctx.laneId();
        return ((lane & 7) + 8 * (lane >> 4)) * stride + 4 * ((lane >> 3) & 1);
    }

    /**
     * The A fragment of the 16×16 tile of a row-major bf16 matrix stored as packed pairs in
     * {@code tile} (row r, columns 2c and 2c+1 at int {@code origin + r·stride + c}); {@code at}
     * is {@code origin + fragmentOffset(ctx, stride)}.
     */
    public static void loadA(int[] a, int[] tile, int at, int stride) {
        a[0] = tile[at];
        a[1] = tile[at + 8 * stride];
        a[2] = tile[at + 4];
        a[3] = tile[at + 8 * stride + 4];
    }

    /**
     * The B fragment of the 16×8 tile B = Tᵀ, where T (8 rows of 16 k values, e.g. 8 rows of a
     * weight W[n, k]) is stored row-major as packed pairs as for {@link #loadA}.
     */
    public static void loadB(int[] b, int[] tile, int at) {
        b[0] = tile[at];
        b[1] = tile[at + 4];
    }
}
