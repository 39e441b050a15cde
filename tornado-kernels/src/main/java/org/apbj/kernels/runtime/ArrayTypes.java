package org.apbj.kernels.runtime;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.Buffer;
import org.apbj.kernels.api.DeviceArray;
import org.apbj.kernels.api.F16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.I64Array;
import org.apbj.kernels.api.I8Array;

/** Element sizes of the device array types, and wrapping a backend's buffer as an array. */
public final class ArrayTypes {
    private ArrayTypes() {}

    public static int elementBytes(Class<? extends DeviceArray> type) {
        if (type == F32Array.class || type == I32Array.class) return 4;
        if (type == BF16Array.class || type == F16Array.class) return 2;
        if (type == I64Array.class) return 8;
        if (type == I8Array.class) return 1;
        throw new IllegalArgumentException("not a device array type: " + type.getName());
    }

    /** Bytes for {@code length} elements, with a clear error for negative or overflowing sizes. */
    public static long byteSize(Class<? extends DeviceArray> type, long length) {
        if (length < 0) throw new IllegalArgumentException("negative array length " + length + " for " + type.getSimpleName());
        return Math.multiplyExact(length, (long) elementBytes(type));
    }

    @SuppressWarnings("unchecked")
    public static <A extends DeviceArray> A wrap(Class<A> type, Buffer buffer) {
        DeviceArray a;
        if (type == F32Array.class) a = new F32Array(buffer);
        else if (type == BF16Array.class) a = new BF16Array(buffer);
        else if (type == F16Array.class) a = new F16Array(buffer);
        else if (type == I32Array.class) a = new I32Array(buffer);
        else if (type == I64Array.class) a = new I64Array(buffer);
        else if (type == I8Array.class) a = new I8Array(buffer);
        else throw new IllegalArgumentException("not a device array type: " + type.getName());
        return (A) a;
    }
}
