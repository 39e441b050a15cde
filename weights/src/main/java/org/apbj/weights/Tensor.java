package org.apbj.weights;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor of a safetensors file: its name, dtype, shape and a read-only view of its bytes
 * (little-endian, row-major, no copy: the view points into the memory-mapped file and is valid
 * until the file is closed).
 */
public final class Tensor {
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final String name;
    private final DType dtype;
    private final long[] shape;
    private final long numel;
    private final MemorySegment data;
    private final String source;

    /**
     * @param source where the tensor comes from (a file name), for error messages
     * @throws IllegalArgumentException if the segment's size is not numel × element size
     */
    public Tensor(String name, DType dtype, long[] shape, MemorySegment data, String source) {
        this.name = Objects.requireNonNull(name, "name");
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        this.shape = shape.clone();
        this.numel = numel(shape);
        this.data = data.asReadOnly();
        this.source = source;
        if (data.byteSize() != numel * dtype.byteSize()) {
            throw new IllegalArgumentException("tensor " + name + ": " + data.byteSize() + " bytes for shape "
                    + Arrays.toString(shape) + " of " + dtype);
        }
    }

    static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    public String name() { return name; }
    public DType dtype() { return dtype; }
    /** A copy of the shape. */
    public long[] shape() { return shape.clone(); }
    public int rank() { return shape.length; }
    /** Dimension i as an int (every dimension of the supported models fits). */
    public int dim(int i) { return Math.toIntExact(shape[i]); }
    public long numel() { return numel; }
    public long byteSize() { return data.byteSize(); }
    /** The tensor's bytes: a read-only view into the mapped file, no copy. */
    public MemorySegment segment() { return data; }
    /** The file (or other origin) the tensor was read from. */
    public String source() { return source; }

    /** True if the shape equals {@code expected}. */
    public boolean hasShape(long... expected) { return Arrays.equals(shape, expected); }

    /** Element {@code index} (row-major flat index) as float; BF16, F16 and F32 only. */
    public float getFloat(long index) {
        Objects.checkIndex(index, numel);
        return switch (dtype) {
            case BF16 -> Floats.bf16ToFloat(data.get(SHORT_LE, index * 2));
            case F16 -> Floats.f16ToFloat(data.get(SHORT_LE, index * 2));
            case F32 -> data.get(FLOAT_LE, index * 4);
            case I32, I64 -> throw notFloating();
        };
    }

    /** Element (row, col) of a 2-D tensor as float. */
    public float getFloat(long row, long col) {
        requireRank(2);
        Objects.checkIndex(col, shape[1]);
        Objects.checkIndex(row, shape[0]);
        return getFloat(row * shape[1] + col);
    }

    /** Element {@code index} as long; I32 and I64 only. */
    public long getLong(long index) {
        Objects.checkIndex(index, numel);
        return switch (dtype) {
            case I32 -> data.get(INT_LE, index * 4);
            case I64 -> data.get(LONG_LE, index * 8);
            case BF16, F16, F32 -> throw new IllegalStateException("tensor " + name + " is " + dtype
                    + ", not an integer tensor: use getFloat");
        };
    }

    /** Row {@code row} of a 2-D tensor, converted to float, into {@code dst[0, cols)}. */
    public void readRow(long row, float[] dst) {
        requireRank(2);
        Objects.checkIndex(row, shape[0]);
        int cols = dim(1);
        if (dst.length < cols) {
            throw new IllegalArgumentException("destination has " + dst.length + " floats, row of " + name
                    + " has " + cols);
        }
        readFloats(row * cols, dst, 0, cols);
    }

    /** Row {@code row} of a 2-D tensor as a new float array. */
    public float[] row(long row) {
        float[] out = new float[dim(1)];
        readRow(row, out);
        return out;
    }

    /** Elements [first, first + count) as float into dst[offset, offset + count). */
    public void readFloats(long first, float[] dst, int offset, int count) {
        Objects.checkFromIndexSize(first, count, numel);
        Objects.checkFromIndexSize(offset, count, dst.length);
        switch (dtype) {
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    dst[offset + i] = Floats.bf16ToFloat(data.get(SHORT_LE, (first + i) * 2));
                }
            }
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    dst[offset + i] = Floats.f16ToFloat(data.get(SHORT_LE, (first + i) * 2));
                }
            }
            case F32 -> MemorySegment.copy(data, FLOAT_LE, first * 4, dst, offset, count);
            case I32, I64 -> throw notFloating();
        }
    }

    /** The whole tensor as floats (for small tensors: norms, biases, test data). */
    public float[] toFloatArray() {
        float[] out = new float[Math.toIntExact(numel)];
        readFloats(0, out, 0, out.length);
        return out;
    }

    /** The whole tensor as ints (I32, or I64 whose values fit). */
    public int[] toIntArray() {
        int[] out = new int[Math.toIntExact(numel)];
        for (int i = 0; i < out.length; i++) out[i] = Math.toIntExact(getLong(i));
        return out;
    }

    private void requireRank(int r) {
        if (shape.length != r) {
            throw new IllegalStateException("tensor " + name + " has shape " + Arrays.toString(shape)
                    + ", not rank " + r);
        }
    }

    private IllegalStateException notFloating() {
        return new IllegalStateException("tensor " + name + " is " + dtype + ", not a float tensor: use getLong");
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " (" + source + ")";
    }
}
