package org.apbj.kernels.jit.ir;

/** A typed virtual register; {@code name} is unique within its function and a valid identifier. */
public record Reg(int id, Type type, String name) implements Operand {
    @Override
    public String toString() { return "%" + name; }
}
