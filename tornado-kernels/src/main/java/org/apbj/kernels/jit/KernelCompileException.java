package org.apbj.kernels.jit;

/**
 * A kernel uses something the compiler does not support. The message names the class,
 * method, bytecode offset, source line, the rule broken and what to write instead.
 */
public class KernelCompileException extends RuntimeException {
    public KernelCompileException(String message) { super(message); }
    public KernelCompileException(String message, Throwable cause) { super(message, cause); }
}
