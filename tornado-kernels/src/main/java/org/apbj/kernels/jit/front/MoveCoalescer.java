package org.apbj.kernels.jit.front;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apbj.kernels.jit.ir.Block;
import org.apbj.kernels.jit.ir.Instr;
import org.apbj.kernels.jit.ir.IrFunction;
import org.apbj.kernels.jit.ir.Operand;
import org.apbj.kernels.jit.ir.Reg;
import org.apbj.kernels.jit.ir.Terminator;

/**
 * Removes the move after a computation into a temporary: {@code t = a + b; x = t} becomes
 * {@code x = a + b} when t is defined and used exactly once. Keeps the emitted code readable
 * (named variables instead of stack temporaries); ptxas would remove the moves anyway.
 */
final class MoveCoalescer {
    private MoveCoalescer() {}

    static void run(IrFunction fn) {
        Map<Reg, Integer> uses = new HashMap<>();
        Map<Reg, Integer> defs = new HashMap<>();
        for (Block b : fn.blocks()) {
            for (Instr i : b.instrs()) {
                for (Operand o : operands(i)) if (o instanceof Reg r) uses.merge(r, 1, Integer::sum);
                Reg d = dst(i);
                if (d != null) defs.merge(d, 1, Integer::sum);
            }
            switch (b.terminator()) {
                case Terminator.Branch br when br.pred() instanceof Reg r -> uses.merge(r, 1, Integer::sum);
                case Terminator.Switch s when s.value() instanceof Reg r -> uses.merge(r, 1, Integer::sum);
                default -> { }
            }
        }
        for (Block b : fn.blocks()) {
            List<Instr> is = b.instrs();
            for (int k = 0; k + 1 < is.size(); k++) {
                if (!(is.get(k + 1) instanceof Instr.Mov(Reg to, Reg from))) continue;
                Reg d = dst(is.get(k));
                if (d == null || !d.equals(from) || d.type() != to.type()) continue;
                if (defs.getOrDefault(d, 0) != 1 || uses.getOrDefault(d, 0) != 1) continue;
                is.set(k, withDst(is.get(k), to));
                is.remove(k + 1);
            }
        }
        dropUnreferencedRegs(fn);
    }

    private static void dropUnreferencedRegs(IrFunction fn) {
        java.util.Set<Reg> referenced = new java.util.HashSet<>();
        for (Block b : fn.blocks()) {
            for (Instr i : b.instrs()) {
                if (dst(i) != null) referenced.add(dst(i));
                for (Operand o : operands(i)) if (o instanceof Reg r) referenced.add(r);
            }
            switch (b.terminator()) {
                case Terminator.Branch br when br.pred() instanceof Reg r -> referenced.add(r);
                case Terminator.Switch s when s.value() instanceof Reg r -> referenced.add(r);
                default -> { }
            }
        }
        fn.params().stream().filter(p -> p.reg() != null).forEach(p -> referenced.add(p.reg()));
        fn.regs().retainAll(referenced);
    }

    static Reg dst(Instr i) {
        return switch (i) {
            case Instr.Mov m -> m.dst();
            case Instr.Unary u -> u.dst();
            case Instr.Binary b -> b.dst();
            case Instr.Fma f -> f.dst();
            case Instr.Convert c -> c.dst();
            case Instr.Compare c -> c.dst();
            case Instr.Select s -> s.dst();
            case Instr.ReadSpecial r -> r.dst();
            case Instr.Load l -> l.dst();
            case Instr.AtomicAdd a -> a.dst();
            case Instr.Shuffle s -> s.dst();
            case Instr.PackBf16 p -> p.dst();
            case Instr.Store s -> null;
            case Instr.MmaBf16 m -> null;   // four destinations: never coalesced
            case Instr.LoadMatrixX4 m -> null;
            case Instr.LoadWide l -> null;   // several destinations: never coalesced
            case Instr.AsyncCopy16 c -> null;
            case Instr.AsyncCopyCa c -> null;
            case Instr.AsyncCommit c -> null;
            case Instr.AsyncWait w -> null;
            case Instr.WarpGroupMma m -> null;   // its accumulators are read and written in place
            case Instr.WarpGroupMmaRegA m -> null;   // likewise
            case Instr.WarpGroupSync w -> null;
            case Instr.Mbarrier m -> null;
            case Instr.SetMaxRegisters r -> null;
            case Instr.NamedBarrier n -> null;
            case Instr.BulkTensorLoad l -> null;
            case Instr.BulkTensorStore l -> null;
            case Instr.BulkGroup g -> null;
            case Instr.Barrier b -> null;
            case Instr.SourceLine s -> null;
        };
    }

    static List<Operand> operands(Instr i) {
        return switch (i) {
            case Instr.Mov m -> List.of(m.src());
            case Instr.Unary u -> List.of(u.a());
            case Instr.Binary b -> List.of(b.a(), b.b());
            case Instr.Fma f -> List.of(f.a(), f.b(), f.c());
            case Instr.Convert c -> List.of(c.src());
            case Instr.Compare c -> List.of(c.a(), c.b());
            case Instr.Select s -> List.of(s.pred(), s.ifTrue(), s.ifFalse());
            case Instr.ReadSpecial r -> List.of();
            case Instr.Load l -> List.of(l.index());
            case Instr.Store s -> List.of(s.index(), s.value());
            case Instr.AtomicAdd a -> List.of(a.index(), a.value());
            case Instr.Shuffle s -> List.of(s.value(), s.lane());
            case Instr.PackBf16 p -> List.of(p.lo(), p.hi());
            case Instr.LoadMatrixX4 m -> {
                List<Operand> all = new java.util.ArrayList<>(m.d());   // as for mma: no coalescing into them
                all.add(m.rowIndex());
                yield all;
            }
            case Instr.LoadWide l -> {
                List<Operand> all = new java.util.ArrayList<>(l.d());   // as for ldmatrix: no coalescing into them
                all.add(l.index());
                yield all;
            }
            case Instr.MmaBf16 m -> {
                List<Operand> all = new java.util.ArrayList<>(m.a());
                all.addAll(m.b());
                all.addAll(m.c());
                all.addAll(m.d());   // counted as uses so that no other definition is coalesced into them
                yield all;
            }
            case Instr.AsyncCopy16 c -> List.of(c.dstIndex(), c.srcIndex(), c.inBounds());
            case Instr.AsyncCopyCa c -> List.of(c.dstIndex(), c.srcIndex(), c.inBounds());
            case Instr.AsyncCommit c -> List.of();
            case Instr.AsyncWait w -> List.of();
            case Instr.WarpGroupMma m -> {
                List<Operand> all = new java.util.ArrayList<>(m.accRegs());   // uses: never coalesced into
                all.add(m.aIndex());
                all.add(m.bIndex());
                all.add(m.accumulate());
                yield all;
            }
            case Instr.WarpGroupMmaRegA m -> {
                List<Operand> all = new java.util.ArrayList<>(m.accRegs());   // uses: never coalesced into
                all.addAll(m.a());
                all.add(m.bIndex());
                all.add(m.accumulate());
                yield all;
            }
            case Instr.WarpGroupSync w -> List.of();
            case Instr.Mbarrier m -> List.of(m.index(), m.value());
            case Instr.SetMaxRegisters r -> List.of();
            case Instr.NamedBarrier n -> List.of();
            case Instr.BulkTensorLoad l -> {
                List<Operand> used = new java.util.ArrayList<>(l.coords());
                used.add(l.dstIndex());
                used.add(l.barIndex());
                yield used;
            }
            case Instr.BulkTensorStore l -> {
                List<Operand> used = new java.util.ArrayList<>(l.coords());
                used.add(l.srcIndex());
                yield used;
            }
            case Instr.BulkGroup g -> List.of();
            case Instr.Barrier b -> List.of();
            case Instr.SourceLine s -> List.of();
        };
    }

    private static Instr withDst(Instr i, Reg d) {
        return switch (i) {
            case Instr.Mov m -> new Instr.Mov(d, m.src());
            case Instr.Unary u -> new Instr.Unary(u.op(), d, u.a());
            case Instr.Binary b -> new Instr.Binary(b.op(), d, b.a(), b.b());
            case Instr.Fma f -> new Instr.Fma(d, f.a(), f.b(), f.c());
            case Instr.Convert c -> new Instr.Convert(c.op(), d, c.src());
            case Instr.Compare c -> new Instr.Compare(c.op(), c.unordered(), d, c.a(), c.b());
            case Instr.Select s -> new Instr.Select(d, s.pred(), s.ifTrue(), s.ifFalse());
            case Instr.ReadSpecial r -> new Instr.ReadSpecial(r.which(), d);
            case Instr.Load l -> new Instr.Load(d, l.array(), l.index());
            case Instr.AtomicAdd a -> new Instr.AtomicAdd(d, a.array(), a.index(), a.value());
            case Instr.Shuffle s -> new Instr.Shuffle(s.mode(), d, s.value(), s.lane());
            case Instr.PackBf16 p -> new Instr.PackBf16(d, p.lo(), p.hi());
            default -> throw new IllegalArgumentException("no destination: " + i);
        };
    }
}
