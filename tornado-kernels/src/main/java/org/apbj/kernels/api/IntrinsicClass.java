package org.apbj.kernels.api;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a class whose static methods the compiler treats as intrinsics (KernelMath, TensorCore,
 * AsyncCopy). The compiler fails closed on such a class: a method it lowers itself becomes its
 * instruction, a method registered as a plain helper is inlined from its Java body, and any
 * other method is a compile error — the Java body of an intrinsic it does not know (a renamed
 * one, or one added to the API without a lowering) is never inlined silently.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface IntrinsicClass {}
