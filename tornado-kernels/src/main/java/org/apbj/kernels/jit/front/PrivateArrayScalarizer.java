package org.apbj.kernels.jit.front;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apbj.kernels.jit.ir.ArrayRef;
import org.apbj.kernels.jit.ir.Block;
import org.apbj.kernels.jit.ir.ElemType;
import org.apbj.kernels.jit.ir.Imm;
import org.apbj.kernels.jit.ir.Instr;
import org.apbj.kernels.jit.ir.IrFunction;
import org.apbj.kernels.jit.ir.Reg;

/**
 * Turns private arrays whose every access uses a constant index into one register per element
 * (tensor-core fragments, small accumulator tiles). Local memory is slow, and ptxas promotes
 * such arrays to registers only sometimes; here it no longer has to. Arrays of 8- and 16-bit
 * elements keep their memory (loads and stores narrow and extend), as do arrays indexed by a
 * variable anywhere.
 */
final class PrivateArrayScalarizer {
    private PrivateArrayScalarizer() {}

    private static final Set<ElemType> WORD_ELEMENTS = Set.of(ElemType.I32, ElemType.F32, ElemType.I64, ElemType.F64);

    static void run(IrFunction fn) {
        for (ArrayRef.Private p : new ArrayList<>(fn.privateArrays())) {
            if (WORD_ELEMENTS.contains(p.elem()) && onlyConstantIndices(fn, p)) scalarize(fn, p);
        }
    }

    private static boolean onlyConstantIndices(IrFunction fn, ArrayRef.Private p) {
        for (Block b : fn.blocks()) {
            for (Instr i : b.instrs()) {
                var index = switch (i) {
                    case Instr.Load l when l.array().equals(p) -> l.index();
                    case Instr.Store s when s.array().equals(p) -> s.index();
                    case Instr.WarpGroupMma m when m.acc().equals(p) -> Imm.ofInt(m.accAt() + m.n() / 2 - 1);
                    case Instr.WarpGroupMmaRegA m when m.acc().equals(p) -> Imm.ofInt(m.accAt() + m.n() / 2 - 1);
                    default -> null;
                };
                if (index == null) continue;
                if (!(index instanceof Imm imm) || imm.longValue() < 0 || imm.longValue() >= p.length()) return false;
            }
        }
        return true;
    }

    private static void scalarize(IrFunction fn, ArrayRef.Private p) {
        Reg[] element = new Reg[p.length()];
        for (Block b : fn.blocks()) {
            List<Instr> is = b.instrs();
            for (int k = 0; k < is.size(); k++) {
                switch (is.get(k)) {
                    case Instr.Load l when l.array().equals(p) -> is.set(k, new Instr.Mov(l.dst(), element(fn, p, element, l.index())));
                    case Instr.Store s when s.array().equals(p) -> is.set(k, new Instr.Mov(element(fn, p, element, s.index()), s.value()));
                    case Instr.WarpGroupMma m when m.acc().equals(p) -> {
                        List<Reg> regs = new ArrayList<>();
                        for (int i = 0; i < m.n() / 2; i++) regs.add(element(fn, p, element, Imm.ofInt(m.accAt() + i)));
                        is.set(k, new Instr.WarpGroupMma(p, m.accAt(), m.n(), regs, m.a(), m.aIndex(), m.b(), m.bIndex(),
                                m.accumulate()));
                    }
                    case Instr.WarpGroupMmaRegA m when m.acc().equals(p) -> {
                        List<Reg> regs = new ArrayList<>();
                        for (int i = 0; i < m.n() / 2; i++) regs.add(element(fn, p, element, Imm.ofInt(m.accAt() + i)));
                        is.set(k, new Instr.WarpGroupMmaRegA(p, m.accAt(), m.n(), regs, m.a(), m.b(), m.bIndex(),
                                m.bBlockBytes(), m.accumulate()));
                    }
                    default -> { }
                }
            }
        }
        fn.privateArrays().remove(p);
    }

    private static Reg element(IrFunction fn, ArrayRef.Private p, Reg[] element, org.apbj.kernels.jit.ir.Operand index) {
        int i = ((Imm) index).intValue();
        if (element[i] == null) element[i] = fn.newReg(p.elem().regType, p.name() + "_" + i);
        return element[i];
    }
}
