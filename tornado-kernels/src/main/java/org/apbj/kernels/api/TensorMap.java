package org.apbj.kernels.api;

/**
 * A tiled view of a bf16 device array for bulk tensor copies (TMA, sm_90), of rank 2 or 3:
 * {@code width} elements per row (the contiguous dimension), {@code height} rows
 * {@code rowStride} elements apart, and for rank 3 {@code depth} planes {@code planeStride}
 * elements apart; copied in boxes of {@code boxWidth} × {@code boxHeight} (× {@code boxDepth})
 * elements. Elements of a box outside the tensor read as zero and are not written by stores.
 * A box lands in shared memory as its boxDepth · boxHeight rows one after another (plane by
 * plane). With {@link Swizzle#B128} a box row is one 128-byte swizzled row (boxWidth 64), the
 * layout of {@link WarpGroup}'s tiles; with {@link Swizzle#NONE} box rows are stored densely.
 *
 * <p>The limits are those of cuTensorMapEncodeTiled: strides a multiple of 16 bytes, box rows a
 * multiple of 16 bytes, box sides at most 256. Built on the host; {@link BulkCopy} reads it.
 */
public final class TensorMap {
    /** How a box is laid out in shared memory. */
    public enum Swizzle { NONE, B128 }

    private final BF16Array source;
    private final int width, height, depth, rowStride, planeStride, boxWidth, boxHeight, boxDepth, rank;
    private final Swizzle swizzle;

    private TensorMap(BF16Array source, int rank, int width, int height, int depth, int rowStride, int planeStride,
                      int boxWidth, int boxHeight, int boxDepth, Swizzle swizzle) {
        this.source = source;
        this.rank = rank;
        this.width = width;
        this.height = height;
        this.depth = depth;
        this.rowStride = rowStride;
        this.planeStride = planeStride;
        this.boxWidth = boxWidth;
        this.boxHeight = boxHeight;
        this.boxDepth = boxDepth;
        this.swizzle = swizzle;
    }

    /** The 2D view, checked against the source's length and the hardware's limits (one-line errors naming the fix). */
    public static TensorMap tiled2d(BF16Array source, int width, int height, int rowStride, int boxWidth, int boxHeight,
                                    Swizzle swizzle) {
        return tiled(source, 2, width, height, 1, rowStride, rowStride * height, boxWidth, boxHeight, 1, swizzle);
    }

    /**
     * The 3D view: {@code depth} planes of height × width, {@code planeStride} elements apart
     * (e.g. a [tokens, heads, dim] array seen as dim × heads × tokens with rowStride dim and
     * planeStride heads · dim). Same checks as {@link #tiled2d}, and the plane stride's.
     */
    public static TensorMap tiled3d(BF16Array source, int width, int height, int depth, int rowStride, int planeStride,
                                    int boxWidth, int boxHeight, int boxDepth, Swizzle swizzle) {
        if (depth <= 0 || boxDepth <= 0 || boxDepth > 256) {
            throw new IllegalArgumentException("TensorMap depth " + depth + ", box depth " + boxDepth
                    + ": the depth must be positive and the box depth 1..256");
        }
        if (planeStride % 8 != 0 || (long) planeStride < (long) rowStride * (height - 1) + width) {
            throw new IllegalArgumentException("TensorMap plane stride " + planeStride + " elements: it must be a multiple of"
                    + " 16 bytes (8 bf16) and leave room for a plane of " + height + " rows of stride " + rowStride);
        }
        return tiled(source, 3, width, height, depth, rowStride, planeStride, boxWidth, boxHeight, boxDepth, swizzle);
    }

    private static TensorMap tiled(BF16Array source, int rank, int width, int height, int depth, int rowStride,
                                   int planeStride, int boxWidth, int boxHeight, int boxDepth, Swizzle swizzle) {
        if (source == null || swizzle == null) throw new IllegalArgumentException("TensorMap needs a source array and a swizzle mode");
        if (width <= 0 || height <= 0 || rowStride < width) {
            throw new IllegalArgumentException("TensorMap " + width + "x" + height + " with row stride " + rowStride
                    + ": sizes must be positive and the row stride at least the width");
        }
        if (rowStride % 8 != 0) {
            throw new IllegalArgumentException("TensorMap row stride " + rowStride + " elements is not a multiple of 16 bytes"
                    + " (8 bf16): pad the rows");
        }
        if ((long) planeStride * (depth - 1) + (long) rowStride * (height - 1) + width > source.length()) {
            throw new IllegalArgumentException("TensorMap " + width + "x" + height + (rank == 3 ? "x" + depth : "") + " (stride "
                    + rowStride + ") reaches past the source's " + source.length() + " elements: pass the array's real shape");
        }
        if (boxWidth <= 0 || boxHeight <= 0 || boxWidth > 256 || boxHeight > 256 || boxWidth % 8 != 0) {
            throw new IllegalArgumentException("TensorMap box " + boxWidth + "x" + boxHeight + ": sides must be 1..256 and the"
                    + " width a multiple of 8 elements (16 bytes)");
        }
        if (swizzle == Swizzle.B128 && boxWidth != WarpGroup.ROW_ELEMENTS) {
            throw new IllegalArgumentException("TensorMap box width " + boxWidth + " with the 128-byte swizzle: a swizzled box row"
                    + " is 64 bf16 (128 bytes); use boxWidth 64 or Swizzle.NONE");
        }
        return new TensorMap(source, rank, width, height, depth, rowStride, planeStride, boxWidth, boxHeight, boxDepth, swizzle);
    }

    public BF16Array source() { return source; }
    /** 2 or 3. */
    public int rank() { return rank; }
    public int width() { return width; }
    public int height() { return height; }
    /** Planes (1 for rank 2). */
    public int depth() { return depth; }
    public int rowStride() { return rowStride; }
    public int planeStride() { return planeStride; }
    public int boxWidth() { return boxWidth; }
    public int boxHeight() { return boxHeight; }
    /** Planes per box (1 for rank 2). */
    public int boxDepth() { return boxDepth; }
    public Swizzle swizzle() { return swizzle; }

    /** Bytes one box copy delivers to its mbarrier (out-of-range elements included): the expect_tx count. */
    public int boxBytes() { return 2 * boxWidth * boxHeight * boxDepth; }
}
