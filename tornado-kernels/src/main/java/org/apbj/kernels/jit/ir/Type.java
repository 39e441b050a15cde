package org.apbj.kernels.jit.ir;

/** The type of a virtual register: the JVM's computational types plus predicates. */
public enum Type {
    I32, I64, F32, F64, PRED;

    public boolean isFloating() { return this == F32 || this == F64; }

    public boolean isWide() { return this == I64 || this == F64; }
}
