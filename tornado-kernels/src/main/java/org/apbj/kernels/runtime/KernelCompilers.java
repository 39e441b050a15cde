package org.apbj.kernels.runtime;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

import org.apbj.kernels.jit.CompiledKernel;
import org.apbj.kernels.jit.Target;

/**
 * The runtimes' one way to reach the kernel compiler
 * ({@code org.apbj.kernels.jit.KernelCompiler.compile(Kernel, Target, Object[])}). It is looked
 * up reflectively so that the runtimes build while the compiler is developed beside them.
 */
public final class KernelCompilers {
    private static final String COMPILER = "org.apbj.kernels.jit.KernelCompiler";
    private static volatile MethodHandle compile;

    private KernelCompilers() {}

    /** Compiles (or fetches from the compiler's cache) {@code kernel} for {@code target}, specialised for {@code args}. */
    public static CompiledKernel compile(Kernel kernel, Target target, Object[] args) {
        MethodHandle h = handle();
        try {
            return (CompiledKernel) h.invokeExact(kernel, target, args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("compiling " + kernel + " for " + target + " failed: " + t, t);
        }
    }

    /** Whether the compiler is part of this build. */
    public static boolean available() {
        try {
            handle();
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    private static MethodHandle handle() {
        MethodHandle h = compile;
        if (h != null) return h;
        try {
            Class<?> c = Class.forName(COMPILER);
            h = MethodHandles.publicLookup().findStatic(c, "compile",
                    MethodType.methodType(CompiledKernel.class, Kernel.class, Target.class, Object[].class));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("the kernel compiler " + COMPILER + ".compile(Kernel, Target, Object[])"
                    + " is not in this build (" + e + "): GPU and OpenCL devices need it to run Java kernels", e);
        }
        compile = h;
        return h;
    }
}
