package org.apbj.kernels.api;

/**
 * A 2D tiled view of a bf16 device array for bulk tensor copies (TMA, sm_90): {@code width}
 * elements per row (the contiguous dimension), {@code height} rows {@code rowStride} elements
 * apart, copied in boxes of {@code boxWidth} × {@code boxHeight} elements. Elements of a box
 * outside width × height read as zero. With {@link Swizzle#B128} a box row is one 128-byte
 * swizzled row (boxWidth 64), the layout of {@link WarpGroup}'s tiles; with {@link Swizzle#NONE}
 * box rows are stored densely one after another.
 *
 * <p>The limits are those of cuTensorMapEncodeTiled: row strides a multiple of 16 bytes, box
 * rows a multiple of 16 bytes, box sides at most 256. Built on the host; {@link BulkCopy} reads it.
 */
public final class TensorMap {
    /** How a box is laid out in shared memory. */
    public enum Swizzle { NONE, B128 }

    private final BF16Array source;
    private final int width, height, rowStride, boxWidth, boxHeight;
    private final Swizzle swizzle;

    private TensorMap(BF16Array source, int width, int height, int rowStride, int boxWidth, int boxHeight, Swizzle swizzle) {
        this.source = source;
        this.width = width;
        this.height = height;
        this.rowStride = rowStride;
        this.boxWidth = boxWidth;
        this.boxHeight = boxHeight;
        this.swizzle = swizzle;
    }

    /** The view, checked against the source's length and the hardware's limits (one-line errors naming the fix). */
    public static TensorMap tiled2d(BF16Array source, int width, int height, int rowStride, int boxWidth, int boxHeight,
                                    Swizzle swizzle) {
        if (source == null || swizzle == null) throw new IllegalArgumentException("TensorMap needs a source array and a swizzle mode");
        if (width <= 0 || height <= 0 || rowStride < width) {
            throw new IllegalArgumentException("TensorMap " + width + "x" + height + " with row stride " + rowStride
                    + ": sizes must be positive and the row stride at least the width");
        }
        if (rowStride % 8 != 0) {
            throw new IllegalArgumentException("TensorMap row stride " + rowStride + " elements is not a multiple of 16 bytes"
                    + " (8 bf16): pad the rows");
        }
        if ((long) rowStride * (height - 1) + width > source.length()) {
            throw new IllegalArgumentException("TensorMap " + width + "x" + height + " (stride " + rowStride + ") reaches past"
                    + " the source's " + source.length() + " elements: pass the array's real shape");
        }
        if (boxWidth <= 0 || boxHeight <= 0 || boxWidth > 256 || boxHeight > 256 || boxWidth % 8 != 0) {
            throw new IllegalArgumentException("TensorMap box " + boxWidth + "x" + boxHeight + ": sides must be 1..256 and the"
                    + " width a multiple of 8 elements (16 bytes)");
        }
        if (swizzle == Swizzle.B128 && boxWidth != WarpGroup.ROW_ELEMENTS) {
            throw new IllegalArgumentException("TensorMap box width " + boxWidth + " with the 128-byte swizzle: a swizzled box row"
                    + " is 64 bf16 (128 bytes); use boxWidth 64 or Swizzle.NONE");
        }
        return new TensorMap(source, width, height, rowStride, boxWidth, boxHeight, swizzle);
    }

    public BF16Array source() { return source; }
    public int width() { return width; }
    public int height() { return height; }
    public int rowStride() { return rowStride; }
    public int boxWidth() { return boxWidth; }
    public int boxHeight() { return boxHeight; }
    public Swizzle swizzle() { return swizzle; }

    /** Bytes one box copy delivers to its mbarrier (out-of-range elements included): the expect_tx count. */
    public int boxBytes() { return 2 * boxWidth * boxHeight; }
}
