package org.apbj.kernels.jit.ir;

/** An array a kernel indexes; which one is always known at compile time. */
public sealed interface ArrayRef {
    String name();

    ElemType elem();

    /** A device array passed as a kernel parameter: global memory. */
    record Global(String name, ElemType elem) implements ArrayRef {}

    /** A shared ("local" in OpenCL) array of a work-group, from ctx.allocate*LocalArray(n). */
    record Shared(String name, ElemType elem, int length) implements ArrayRef {}

    /** A per-work-item fixed-size array, from {@code new float[C]}: registers or local memory. */
    record Private(String name, ElemType elem, int length) implements ArrayRef {}
}
