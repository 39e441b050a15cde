package org.apbj.kernels.jit.ir;

import java.util.List;

/** How a basic block ends. */
public sealed interface Terminator {

    record Goto(Block target) implements Terminator {}

    record Branch(Operand pred, Block ifTrue, Block ifFalse) implements Terminator {}

    record Switch(Operand value, int[] keys, List<Block> targets, Block otherwise) implements Terminator {}

    record Return() implements Terminator {}
}
