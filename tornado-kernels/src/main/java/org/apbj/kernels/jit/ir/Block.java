package org.apbj.kernels.jit.ir;

import java.util.ArrayList;
import java.util.List;

/** A basic block: straight-line instructions and one terminator. */
public final class Block {
    private final String label;
    private final List<Instr> instrs = new ArrayList<>();
    private Terminator terminator;

    Block(String label) { this.label = label; }

    public String label() { return label; }

    public List<Instr> instrs() { return instrs; }

    public Terminator terminator() { return terminator; }

    public boolean isTerminated() { return terminator != null; }

    public void add(Instr i) {
        if (terminator != null) throw new IllegalStateException("block " + label + " is already terminated");
        instrs.add(i);
    }

    public void terminate(Terminator t) {
        if (terminator != null) throw new IllegalStateException("block " + label + " is already terminated");
        terminator = t;
    }

    @Override
    public String toString() { return label; }
}
