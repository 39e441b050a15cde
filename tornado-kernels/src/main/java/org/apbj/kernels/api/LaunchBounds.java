package org.apbj.kernels.api;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * CUDA's {@code __launch_bounds__} for a kernel: it is launched with at most {@link #threads}
 * work-items per group, and at least {@link #minGroupsPerMultiprocessor} groups should fit on
 * one multiprocessor, so the PTX assembler keeps registers to that budget (PTX
 * {@code .maxntid} and {@code .minnctapersm}). A launch with larger groups fails. Other targets
 * ignore it.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface LaunchBounds {
    int threads();

    int minGroupsPerMultiprocessor() default 1;
}
