package org.apbj.kernels.jit.front;

import java.util.Objects;
import org.apbj.kernels.jit.ir.ArrayRef;
import org.apbj.kernels.jit.ir.Type;

/**
 * What the front end knows about a local or stack slot at compile time: a primitive of a type,
 * possibly with a known constant value; a reference to a known array or the KernelContext; or
 * nothing usable (slots reused by different variables, or references that differ by path).
 */
sealed interface AbsVal {

    /** A primitive; {@code bits} is the constant (as in {@link org.apbj.kernels.jit.ir.Imm}) or null. */
    record Prim(Type type, Long bits) implements AbsVal {
        boolean isConst() { return bits != null; }
    }

    /** The KernelContext parameter. */
    record Ctx() implements AbsVal {}

    /** A statically known array. */
    record Arr(ArrayRef array) implements AbsVal {}

    /** A TensorMap kernel parameter, named as in the compiled kernel's parameter list. */
    record MapParam(String name) implements AbsVal {}

    /** Unusable: conflicting types, or a reference that is not statically known. */
    record Top(String why) implements AbsVal {}

    static AbsVal merge(AbsVal a, AbsVal b) {
        if (a == null) return b;
        if (b == null) return a;
        if (a.equals(b)) return a;
        if (a instanceof Prim pa && b instanceof Prim pb && pa.type() == pb.type()) {
            return new Prim(pa.type(), Objects.equals(pa.bits(), pb.bits()) ? pa.bits() : null);
        }
        if (a instanceof Top) return a;
        if (b instanceof Top) return b;
        if (a instanceof Arr || b instanceof Arr) {
            return new Top("this variable refers to different arrays on different paths");
        }
        if (a instanceof MapParam || b instanceof MapParam) {
            return new Top("this variable refers to different tensor maps on different paths");
        }
        return new Top("this slot holds different types on different paths");
    }

    /** Width in JVM stack/local words. */
    static int size(AbsVal v) {
        return v instanceof Prim p && p.type().isWide() ? 2 : 1;
    }
}
