package org.apbj.kernels.api;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.util.Arrays;
import java.util.List;

/**
 * A kernel: a public static void method, named by its class and method name (unique). Its
 * parameters (types, names, which are {@link Constant}) are read once, here, so that a launch
 * does no reflection: launches check arguments and pick compiled specialisations from
 * {@link #params()}.
 */
public record Kernel(Class<?> owner, String name, Method method, List<Param> params) {

    /** One parameter of the kernel method (index 0 is the KernelContext). */
    public record Param(Class<?> type, String name, boolean constant) {}

    public Kernel {
        params = List.copyOf(params);
    }

    public static Kernel of(Class<?> owner, String name) {
        Method[] found = Arrays.stream(owner.getDeclaredMethods()).filter(m -> m.getName().equals(name)).toArray(Method[]::new);
        if (found.length == 0) {
            throw new IllegalArgumentException("no method " + name + " in " + owner.getName());
        }
        if (found.length > 1) {
            throw new IllegalArgumentException("kernel " + owner.getName() + "." + name
                    + " is overloaded: give kernels unique names");
        }
        Method m = found[0];
        if (!Modifier.isStatic(m.getModifiers()) || m.getReturnType() != void.class) {
            throw new IllegalArgumentException("kernel " + owner.getName() + "." + name + " must be static void");
        }
        m.setAccessible(true);
        List<Param> params = Arrays.stream(m.getParameters())
                .map((Parameter p) -> new Param(p.getType(), p.getName(), p.isAnnotationPresent(Constant.class))).toList();
        return new Kernel(owner, name, m, params);
    }

    /** Whether any parameter is {@link Constant} (compiled once per distinct value). */
    public boolean hasConstants() {
        for (Param p : params) if (p.constant()) return true;
        return false;
    }

    public String qualifiedName() { return owner.getName() + "." + name; }

    @Override
    public String toString() { return qualifiedName(); }
}
