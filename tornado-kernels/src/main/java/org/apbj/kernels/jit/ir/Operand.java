package org.apbj.kernels.jit.ir;

/** An instruction operand: a virtual register or an immediate. */
public sealed interface Operand permits Reg, Imm {
    Type type();
}
