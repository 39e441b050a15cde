package org.apbj.kernels.jit.ir;

import org.apbj.kernels.jit.CompiledKernel.ParamKind;

/**
 * A runtime parameter of the compiled kernel: a global array or a primitive held in
 * {@code reg}. {@code javaIndex} counts the Java method's parameters (the KernelContext is 0).
 */
public record KernelParam(int javaIndex, String name, ParamKind kind, ArrayRef.Global array, Reg reg) {
    public boolean isArray() { return array != null; }
}
