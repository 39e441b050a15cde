package org.apbj.kernels.api;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Asks the compiler to unroll every loop of the annotated method completely: each iteration
 * becomes its own copy of the body, with the loop variables known constants in it. Private
 * arrays indexed by those variables then have constant indices and live in registers (tensor-core
 * fragments, accumulator tiles), and calls inside see constant arguments.
 *
 * <p>Every loop of the method must have a trip count known at compile time (literals, static
 * final constants, {@link Constant} parameters, values derived from them); a loop that cannot be
 * unrolled is a compile error naming its source line. Loops of the methods it calls are unrolled
 * only if those carry the annotation too. Put the loops with run-time trip counts (over tiles of
 * a sequence, say) in the kernel and the fixed-size work in small {@code @Unroll} methods. The
 * Java device and OpenCL run the loops as written: unrolling changes no result.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Unroll {
    /** Iterations one loop may unroll to; more is a compile error (a trip count not constant, or too large). */
    int MAX_ITERATIONS = 1024;
}
