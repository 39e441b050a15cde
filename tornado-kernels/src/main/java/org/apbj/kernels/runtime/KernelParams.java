package org.apbj.kernels.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.DeviceArray;
import org.apbj.kernels.api.F16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.I64Array;
import org.apbj.kernels.api.I8Array;
import org.apbj.kernels.api.TensorMap;
import org.apbj.kernels.jit.CompiledKernel;
import org.apbj.kernels.jit.CompiledKernel.Param;
import org.apbj.kernels.jit.CompiledKernel.ParamKind;
import org.apbj.kernels.jit.Target;

/**
 * Turns launch arguments into the native values compiled kernels take: an array becomes its
 * buffer's address (device pointer or cl_mem), a primitive its bytes. Booleans travel as one
 * byte, 0 or 1 (PTX {@code .u8}; OpenCL C kernels cannot take bool, so {@code uchar}).
 */
public final class KernelParams {
    private KernelParams() {}

    /**
     * Picks the compiled parameters' values out of the Java launch arguments. {@link Param#javaIndex()}
     * counts the Java method's parameters, the KernelContext being 0, so argument i (after the
     * context) is parameter i + 1.
     */
    public static Object[] select(CompiledKernel ck, Object[] javaArgs) {
        List<Param> params = ck.params();
        Object[] values = new Object[params.size()];
        for (int i = 0; i < values.length; i++) {
            int at = params.get(i).javaIndex() - 1;
            if (at < 0 || at >= javaArgs.length) {
                throw new KernelLaunchException("compiled kernel " + ck.entryName() + ": parameter '" + params.get(i).name()
                        + "' has Java index " + params.get(i).javaIndex() + ", outside the " + javaArgs.length
                        + " launch arguments (index 0 is the KernelContext)");
            }
            values[i] = javaArgs[at];
        }
        return values;
    }

    /**
     * What every device checks before it launches compiled code: that {@code ck} was compiled for
     * the device's kind of target, that {@code values} fit its parameters ({@link #check}), and that
     * a kernel with warp operations runs in groups of whole warps.
     */
    public static void checkLaunch(CompiledKernel ck, Target.Kind kind, String displayName, Grid grid, Object[] values,
                                   Device device) {
        if (ck.target().kind() != kind) {
            throw new KernelLaunchException(displayName + ": compiled for " + ck.target() + ", not "
                    + (kind == Target.Kind.PTX ? "PTX" : "OpenCL"));
        }
        check(ck, values, device);
        if (ck.usesWarpOps() && grid.workItemsPerGroup() % 32 != 0) {
            throw new KernelLaunchException(displayName + " uses warp operations: its groups must be multiples of 32"
                    + " work-items, " + grid + " has " + grid.workItemsPerGroup());
        }
    }

    /** Checks {@code values} against the compiled parameters (count, kind, owning device). */
    public static void check(CompiledKernel ck, Object[] values, Device device) {
        List<Param> params = ck.params();
        if (values.length != params.size()) {
            throw new KernelLaunchException("compiled kernel " + ck.entryName() + " takes " + params.size()
                    + " parameters " + params + ", got " + values.length);
        }
        for (int i = 0; i < values.length; i++) {
            Param p = params.get(i);
            Object v = values[i];
            Class<?> want = javaType(p.kind());
            if (v == null || v.getClass() != want) {
                throw new KernelLaunchException("compiled kernel " + ck.entryName() + ", parameter " + i + " '" + p.name()
                        + "' (" + p.kind() + "): expected a " + want.getSimpleName() + ", got "
                        + (v == null ? "null" : v.getClass().getSimpleName()));
            }
            if (v instanceof TensorMap m && m.source().buffer().owner() != device) {
                throw new KernelLaunchException("compiled kernel " + ck.entryName() + ", parameter '" + p.name() + "': the"
                        + " tensor map's array " + m.source() + " does not live on " + device.name() + "; upload it first (Device.upload)");
            }
            if (v instanceof DeviceArray a && a.buffer().owner() != device) {
                throw new KernelLaunchException("compiled kernel " + ck.entryName() + ", parameter '" + p.name() + "': "
                        + a + " does not live on " + device.name() + "; upload it first (Device.upload)");
            }
        }
    }

    public static Class<?> javaType(ParamKind kind) {
        return switch (kind) {
            case F32_ARRAY -> F32Array.class;
            case BF16_ARRAY -> BF16Array.class;
            case F16_ARRAY -> F16Array.class;
            case I32_ARRAY -> I32Array.class;
            case I8_ARRAY -> I8Array.class;
            case I64_ARRAY -> I64Array.class;
            case INT -> Integer.class;
            case LONG -> Long.class;
            case FLOAT -> Float.class;
            case DOUBLE -> Double.class;
            case SHORT -> Short.class;
            case BYTE -> Byte.class;
            case BOOLEAN -> Boolean.class;
            case TENSOR_MAP -> TensorMap.class;
        };
    }

    /** Writes the value's native bytes at {@code offset} of {@code seg} (8 bytes available there, 8-aligned). */
    public static void write(MemorySegment seg, long offset, ParamKind kind, Object v) {
        switch (kind) {
            case F32_ARRAY, BF16_ARRAY, F16_ARRAY, I32_ARRAY, I8_ARRAY, I64_ARRAY ->
                    seg.set(ValueLayout.JAVA_LONG, offset, ((DeviceArray) v).buffer().address());
            case INT -> seg.set(ValueLayout.JAVA_INT, offset, (Integer) v);
            case LONG -> seg.set(ValueLayout.JAVA_LONG, offset, (Long) v);
            case FLOAT -> seg.set(ValueLayout.JAVA_FLOAT, offset, (Float) v);
            case DOUBLE -> seg.set(ValueLayout.JAVA_DOUBLE, offset, (Double) v);
            case SHORT -> seg.set(ValueLayout.JAVA_SHORT, offset, (Short) v);
            case BYTE -> seg.set(ValueLayout.JAVA_BYTE, offset, (Byte) v);
            case BOOLEAN -> seg.set(ValueLayout.JAVA_BYTE, offset, (byte) ((Boolean) v ? 1 : 0));
            case TENSOR_MAP -> throw new IllegalArgumentException("a tensor map is not an 8-byte value: the CUDA device encodes it");
        }
    }

    /** The value's native bytes, allocated in {@code arena}. */
    public static MemorySegment nativeValue(Arena arena, ParamKind kind, Object v) {
        return switch (kind) {
            case F32_ARRAY, BF16_ARRAY, F16_ARRAY, I32_ARRAY, I8_ARRAY, I64_ARRAY ->
                    arena.allocateFrom(ValueLayout.JAVA_LONG, ((DeviceArray) v).buffer().address());
            case INT -> arena.allocateFrom(ValueLayout.JAVA_INT, (Integer) v);
            case LONG -> arena.allocateFrom(ValueLayout.JAVA_LONG, (Long) v);
            case FLOAT -> arena.allocateFrom(ValueLayout.JAVA_FLOAT, (Float) v);
            case DOUBLE -> arena.allocateFrom(ValueLayout.JAVA_DOUBLE, (Double) v);
            case SHORT -> arena.allocateFrom(ValueLayout.JAVA_SHORT, (Short) v);
            case BYTE -> arena.allocateFrom(ValueLayout.JAVA_BYTE, (Byte) v);
            case BOOLEAN -> arena.allocateFrom(ValueLayout.JAVA_BYTE, (byte) ((Boolean) v ? 1 : 0));
            case TENSOR_MAP -> throw new IllegalArgumentException("tensor maps exist only for CUDA devices");
        };
    }
}
