package org.apbj.kernels.api;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;

/** A kernel: a public static void method, named by its class and method name (unique). */
public record Kernel(Class<?> owner, String name, Method method) {

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
        return new Kernel(owner, name, m);
    }

    public String qualifiedName() { return owner.getName() + "." + name; }

    @Override
    public String toString() { return qualifiedName(); }
}
