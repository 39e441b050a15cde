package org.apbj.kernels.jit.front;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The abstract state at a bytecode position: locals by slot, and the operand stack (one entry per value). */
final class Frame {
    final AbsVal[] locals;
    final List<AbsVal> stack;

    Frame(int maxLocals) {
        locals = new AbsVal[maxLocals];
        stack = new ArrayList<>();
    }

    private Frame(AbsVal[] locals, List<AbsVal> stack) {
        this.locals = locals;
        this.stack = stack;
    }

    Frame copy() { return new Frame(locals.clone(), new ArrayList<>(stack)); }

    /** This frame merged with {@code other}; null if {@code other} adds nothing. */
    Frame mergedWith(Frame other, MethodCode code, int index) {
        if (other.stack.size() != stack.size()) {
            throw new IllegalStateException("stack height differs at a merge in " + code.where(index));
        }
        Frame m = copy();
        boolean changed = false;
        for (int i = 0; i < locals.length; i++) {
            AbsVal v = AbsVal.merge(locals[i], other.locals[i]);
            if (!java.util.Objects.equals(v, locals[i])) changed = true;
            m.locals[i] = v;
        }
        for (int i = 0; i < stack.size(); i++) {
            AbsVal v = AbsVal.merge(stack.get(i), other.stack.get(i));
            if (!java.util.Objects.equals(v, stack.get(i))) changed = true;
            m.stack.set(i, v);
        }
        return changed ? m : null;
    }

    @Override
    public String toString() { return "locals=" + Arrays.toString(locals) + " stack=" + stack; }
}
