package org.apbj.kernels.runtime;

import java.util.List;
import java.util.stream.Collectors;

import org.apbj.kernels.api.DeviceArray;
import org.apbj.kernels.api.Kernel;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.TensorMap;

/**
 * Checks launch arguments against the kernel method's parameters before anything runs: the
 * count, each argument's type (device arrays of the exact class, boxed primitives of the exact
 * parameter type) and where each array lives.
 */
public final class LaunchArguments {
    private LaunchArguments() {}

    /**
     * @param device     the launching device; arrays must belong to it
     * @param hostArrays whether plain host arrays (buffer owner {@code null}) are acceptable
     */
    public static void check(Kernel kernel, Grid grid, Object[] args, Device device, boolean hostArrays) {
        List<Kernel.Param> params = kernel.params();
        if (params.isEmpty() || params.get(0).type() != KernelContext.class) {
            throw new KernelLaunchException("kernel " + kernel + " must take a KernelContext as its first parameter");
        }
        if (args == null) args = new Object[0];
        if (args.length != params.size() - 1) {
            throw new KernelLaunchException("kernel " + kernel + " takes " + (params.size() - 1)
                    + " arguments after its KernelContext " + signature(params) + ", got " + args.length);
        }
        for (int i = 0; i < args.length; i++) {
            Kernel.Param p = params.get(i + 1);
            Object a = args[i];
            Class<?> t = p.type();
            if (a == null) throw new KernelLaunchException(where(kernel, i, p) + ": got null");
            if (DeviceArray.class.isAssignableFrom(t)) {
                if (a.getClass() != t) {
                    throw new KernelLaunchException(where(kernel, i, p) + ": got " + a.getClass().getSimpleName());
                }
                Object owner = ((DeviceArray) a).buffer().owner();
                boolean ok = owner == device || (owner == null && hostArrays);
                if (!ok) {
                    throw new KernelLaunchException(where(kernel, i, p) + ": the array lives on "
                            + (owner == null ? "the host" : owner) + ", not on " + device.name()
                            + (owner == null ? "; upload it first (Device.upload)" : "; copy it to this device first"));
                }
            } else if (t == TensorMap.class) {
                if (!(a instanceof TensorMap m)) throw new KernelLaunchException(where(kernel, i, p) + ": got " + a.getClass().getSimpleName());
                Object owner = m.source().buffer().owner();
                if (owner != device && !(owner == null && hostArrays)) {
                    throw new KernelLaunchException(where(kernel, i, p) + ": the map's array lives on "
                            + (owner == null ? "the host" : owner) + ", not on " + device.name() + "; build the map over an array of this device");
                }
            } else if (t.isPrimitive()) {
                Class<?> boxed = boxed(t);
                if (a.getClass() != boxed) {
                    throw new KernelLaunchException(where(kernel, i, p) + ": got " + a.getClass().getSimpleName() + " " + a
                            + "; pass a " + boxed.getSimpleName() + " (e.g. a " + t.getName() + " value or cast)");
                }
            } else {
                throw new KernelLaunchException(where(kernel, i, p) + ": kernels take only device arrays, tensor maps and primitives");
            }
        }
    }

    public static Class<?> boxed(Class<?> primitive) {
        if (primitive == int.class) return Integer.class;
        if (primitive == long.class) return Long.class;
        if (primitive == float.class) return Float.class;
        if (primitive == double.class) return Double.class;
        if (primitive == short.class) return Short.class;
        if (primitive == byte.class) return Byte.class;
        if (primitive == boolean.class) return Boolean.class;
        if (primitive == char.class) return Character.class;
        throw new IllegalArgumentException(primitive.getName());
    }

    /** Built only for a message: a launch that passes builds no strings. */
    private static String where(Kernel kernel, int i, Kernel.Param p) {
        return "kernel " + kernel + ", argument " + (i + 1) + " '" + p.name() + "' (" + p.type().getSimpleName() + ")";
    }

    private static String signature(List<Kernel.Param> params) {
        return params.stream().skip(1).map(p -> p.type().getSimpleName() + " " + p.name())
                .collect(Collectors.joining(", ", "(", ")"));
    }
}
