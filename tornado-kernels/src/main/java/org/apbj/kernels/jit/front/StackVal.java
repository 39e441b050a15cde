package org.apbj.kernels.jit.front;

import org.apbj.kernels.jit.ir.Operand;

/**
 * An operand-stack entry while interpreting a block: what is known about it, and (when
 * emitting) the register or immediate holding it. {@code widenedFrom} is the float value
 * of an f2d, so that {@code (float) Math.exp(x)} on a float x compiles to float math.
 */
record StackVal(AbsVal abs, Operand op, StackVal widenedFrom) {
    StackVal(AbsVal abs, Operand op) { this(abs, op, null); }
}
