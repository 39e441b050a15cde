package org.apbj.kernels.runtime;

import org.apbj.kernels.jit.CompiledKernel;
import org.apbj.kernels.jit.KernelCompiler;
import org.apbj.kernels.jit.Target;

/** The runtimes' one way to reach the kernel compiler (and its in-memory and disk cache). */
public final class KernelCompilers {
    private KernelCompilers() {}

    /** Compiles (or fetches from the compiler's cache) {@code kernel} for {@code target}, specialised for {@code args}. */
    public static CompiledKernel compile(Kernel kernel, Target target, Object[] args) {
        return KernelCompiler.compile(kernel, target, args);
    }

    /**
     * Whether the compiler is part of this build: always, since it lives in this module. Kept
     * for callers written while the compiler and the runtimes were developed side by side.
     */
    public static boolean available() { return true; }
}
