package org.apbj.kernels.api;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a primitive kernel parameter as a launch-time constant: the compiler folds the value
 * passed at launch into the code (tile sizes, head dims, strides) and compiles and caches one
 * specialisation per distinct value.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface Constant {}
