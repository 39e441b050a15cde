package org.apbj.kernels.jit.front;

import java.lang.classfile.Instruction;
import java.lang.classfile.Opcode;
import java.lang.classfile.TypeKind;
import java.lang.classfile.instruction.ArrayLoadInstruction;
import java.lang.classfile.instruction.ArrayStoreInstruction;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.ConstantInstruction;
import java.lang.classfile.instruction.ConvertInstruction;
import java.lang.classfile.instruction.DiscontinuedInstruction;
import java.lang.classfile.instruction.FieldInstruction;
import java.lang.classfile.instruction.IncrementInstruction;
import java.lang.classfile.instruction.InvokeDynamicInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.LoadInstruction;
import java.lang.classfile.instruction.LookupSwitchInstruction;
import java.lang.classfile.instruction.MonitorInstruction;
import java.lang.classfile.instruction.NewMultiArrayInstruction;
import java.lang.classfile.instruction.NewObjectInstruction;
import java.lang.classfile.instruction.NewPrimitiveArrayInstruction;
import java.lang.classfile.instruction.NewReferenceArrayInstruction;
import java.lang.classfile.instruction.NopInstruction;
import java.lang.classfile.instruction.OperatorInstruction;
import java.lang.classfile.instruction.ReturnInstruction;
import java.lang.classfile.instruction.StackInstruction;
import java.lang.classfile.instruction.StoreInstruction;
import java.lang.classfile.instruction.SwitchCase;
import java.lang.classfile.instruction.TableSwitchInstruction;
import java.lang.classfile.instruction.ThrowInstruction;
import java.lang.classfile.instruction.TypeCheckInstruction;
import java.util.ArrayList;
import java.util.List;
import org.apbj.kernels.jit.KernelCompileException;
import org.apbj.kernels.jit.ir.ArrayRef;
import org.apbj.kernels.jit.ir.Block;
import org.apbj.kernels.jit.ir.ElemType;
import org.apbj.kernels.jit.ir.Imm;
import org.apbj.kernels.jit.ir.Instr;
import org.apbj.kernels.jit.ir.Instr.BinOp;
import org.apbj.kernels.jit.ir.Instr.CmpOp;
import org.apbj.kernels.jit.ir.Instr.ConvOp;
import org.apbj.kernels.jit.ir.Instr.UnOp;
import org.apbj.kernels.jit.ir.IrFunction;
import org.apbj.kernels.jit.ir.Operand;
import org.apbj.kernels.jit.ir.Reg;
import org.apbj.kernels.jit.ir.Terminator;
import org.apbj.kernels.jit.ir.Type;

/**
 * Interprets one basic block of a {@link MethodInstance} over abstract values. Without a
 * target block it only computes the states flowing to successors (analysis); with one it also
 * emits IR into it (emission). Both passes share this code, so they cannot disagree.
 */
final class Interpreter {

    /** Receives the state flowing along a control-flow edge during analysis. */
    interface Flow { void to(Site target, Frame frame); }

    private final MethodInstance inst;
    private final MethodCode code;
    private final Lifter lifter;
    private final Site site;
    private final AbsVal[] locals;
    private final List<StackVal> stack = new ArrayList<>();
    private Block cur;
    private Flow flow;
    int index;
    private int lastLine = -1;

    Interpreter(MethodInstance inst, Site site, Frame entry, Block block) {
        this.inst = inst;
        this.code = inst.code;
        this.lifter = inst.lifter;
        this.site = site;
        this.locals = entry.locals.clone();
        this.cur = block;
        for (int d = 0; d < entry.stack.size(); d++) {
            AbsVal a = entry.stack.get(d);
            Operand op = null;
            if (block != null && a instanceof AbsVal.Prim p) op = p.isConst() ? new Imm(p.type(), p.bits()) : inst.stackReg(d, p.type());
            stack.add(new StackVal(a, op));
        }
    }

    void run(Flow flow) {
        this.flow = flow;
        if (emitting()) fn().place(cur);
        for (index = site.index(); ; index++) {
            if (index == code.firstHandlerIndex) {
                throw error("try/catch: kernels cannot throw or catch exceptions (a GPU has none)",
                        "remove the try block; check conditions with if statements");
            }
            if (emitting() && code.line[index] >= 0 && code.line[index] != lastLine) {
                lastLine = code.line[index];
                emit(new Instr.SourceLine(code.sourceFile, lastLine));
            }
            if (step(code.insns.get(index))) return;
            if (index + 1 >= code.insns.size()) {
                throw error("control falls off the end of the method", "end every path with return");
            }
            if (code.isLeader(index + 1)) {
                jump(index + 1);
                return;
            }
        }
    }

    // ---- services for Intrinsics ---------------------------------------------------------------

    boolean emitting() { return cur != null; }

    IrFunction fn() { return lifter.fn(); }

    Lifter lifter() { return lifter; }

    MethodInstance instance() { return inst; }

    void emit(Instr i) { if (emitting()) cur.add(i); }

    Reg temp(Type t) { return emitting() ? lifter.temp(t) : null; }

    KernelCompileException error(String rule, String fix) { return lifter.error(inst, index, rule, fix); }

    StackVal pop() {
        if (stack.isEmpty()) throw new IllegalStateException("stack underflow at " + code.where(index));
        return stack.removeLast();
    }

    StackVal peek(int fromTop) { return stack.get(stack.size() - 1 - fromTop); }

    void push(StackVal v) { stack.add(v); }

    void pushConst(Imm c) { stack.add(new StackVal(new AbsVal.Prim(c.type(), c.bits()), c)); }

    void pushValue(Type t, Reg r) { stack.add(new StackVal(new AbsVal.Prim(t, null), r)); }

    void pushRef(AbsVal ref) { stack.add(new StackVal(ref, null)); }

    /** The next instruction if it is in this block, else null. */
    Instruction nextInBlock() {
        int n = index + 1;
        return n < code.insns.size() && !code.isLeader(n) ? code.insns.get(n) : null;
    }

    void skipNext() { index++; }

    /** A popped primitive's immediate, or null when not constant. */
    static Imm constOf(StackVal v) {
        return v.abs() instanceof AbsVal.Prim p && p.isConst() ? new Imm(p.type(), p.bits()) : null;
    }

    /** Emits {@code op} on a and b into a new temp (or folds it) and pushes the result. */
    void binary(BinOp op, Type t, StackVal a, StackVal b) {
        Imm ca = constOf(a), cb = constOf(b);
        if (ca != null && cb != null) {
            Imm r = ConstantFolder.binary(op, t, ca, cb);
            if (r != null) { pushConst(r); return; }
        }
        Reg dst = temp(t);
        emit(new Instr.Binary(op, dst, a.op(), b.op()));
        pushValue(t, dst);
    }

    void unary(UnOp op, Type t, StackVal a) {
        Imm ca = constOf(a);
        if (ca != null) {
            Imm r = ConstantFolder.unary(op, t, ca);
            if (r != null) { pushConst(r); return; }
        }
        Reg dst = temp(t);
        emit(new Instr.Unary(op, dst, a.op()));
        pushValue(t, dst);
    }

    void convert(ConvOp op, Type to, StackVal a) {
        Imm ca = constOf(a);
        if (ca != null) { pushConst(ConstantFolder.convert(op, ca)); return; }
        Reg dst = temp(to);
        emit(new Instr.Convert(op, dst, a.op()));
        StackVal out = new StackVal(new AbsVal.Prim(to, null), dst, op == ConvOp.F2D ? a : null);
        stack.add(out);
    }

    // ---- the instructions ----------------------------------------------------------------------

    /** Interprets one instruction; true if it ended the block. */
    private boolean step(Instruction insn) {
        switch (insn) {
            case LoadInstruction l -> load(l.slot(), l.typeKind());
            case StoreInstruction s -> store(s.slot(), s.typeKind());
            case IncrementInstruction inc -> increment(inc.slot(), inc.constant());
            case ConstantInstruction c -> constant(c);
            case OperatorInstruction o -> { return operator(o.opcode(), o.typeKind()); }
            case ConvertInstruction c -> convertInsn(c.opcode());
            case BranchInstruction b -> { branch(b); return true; }
            case TableSwitchInstruction t -> { switchInsn(t.defaultTarget(), t.cases()); return true; }
            case LookupSwitchInstruction l -> { switchInsn(l.defaultTarget(), l.cases()); return true; }
            case ReturnInstruction r -> { ret(r.typeKind()); return true; }
            case InvokeInstruction i -> invoke(i);
            case FieldInstruction f -> Intrinsics.field(this, f);
            case ArrayLoadInstruction a -> arrayLoad(a.typeKind());
            case ArrayStoreInstruction a -> arrayStore(a.typeKind());
            case NewPrimitiveArrayInstruction n -> newArray(n.typeKind());
            case StackInstruction s -> stackOp(s.opcode());
            case NopInstruction n -> { }
            case NewObjectInstruction n -> throw error("object allocation (new " + n.className().asInternalName().replace('/', '.')
                    + "): kernels cannot create objects", "use primitives, device-array parameters, or fixed-size primitive arrays (new float[C])");
            case NewReferenceArrayInstruction n -> throw error("arrays of objects: kernels only allow fixed-size primitive arrays",
                    "use new float[C] / new int[C] with a constant C");
            case NewMultiArrayInstruction n -> throw error("multi-dimensional arrays are not supported",
                    "use one flat new float[R * C] and index it as r * C + c");
            case TypeCheckInstruction t -> throw error("casts and instanceof on references: kernels have no objects",
                    "pass the exact array type as a parameter");
            case ThrowInstruction t -> throw error("throw: kernels cannot throw exceptions (a GPU has none)",
                    "write the error into an output array (e.g. an I32Array status) and check it on the host");
            case MonitorInstruction m -> throw error("synchronized: kernels have no monitors",
                    "use ctx.localBarrier() and atomicAdd for coordination");
            case InvokeDynamicInstruction i -> throw error("invokedynamic (" + i.name().stringValue()
                    + ": string concatenation, lambdas or method references) is not supported in kernels",
                    "write plain arithmetic and static method calls; build strings on the host");
            case DiscontinuedInstruction d -> throw error("jsr/ret (pre-Java-6 bytecode) is not supported", "recompile the class with a current javac");
            default -> throw error("bytecode " + insn.opcode() + " is not supported in kernels",
                    "use primitive arithmetic, device arrays, static calls and the KernelContext/KernelMath intrinsics");
        }
        return false;
    }

    private static Type typeOf(TypeKind k) {
        return switch (k) {
            case INT, BOOLEAN, BYTE, CHAR, SHORT -> Type.I32;
            case LONG -> Type.I64;
            case FLOAT -> Type.F32;
            case DOUBLE -> Type.F64;
            default -> null;
        };
    }

    private void load(int slot, TypeKind kind) {
        AbsVal v = locals[slot];
        if (v instanceof AbsVal.Top top) throw error("variable " + localName(slot) + ": " + top.why(), "use one variable per array and per type");
        if (v == null) throw new IllegalStateException("load of unset local " + slot + " at " + code.where(index));
        if (kind == TypeKind.REFERENCE) {
            if (v instanceof AbsVal.Prim) throw new IllegalStateException("aload of a primitive at " + code.where(index));
            pushRef(v);
            return;
        }
        AbsVal.Prim p = (AbsVal.Prim) v;
        Operand op = p.isConst() ? new Imm(p.type(), p.bits()) : (emitting() ? inst.localReg(slot, p.type(), index) : null);
        stack.add(new StackVal(p, op));
    }

    private String localName(int slot) {
        String n = code.localName(slot, index);
        return n != null ? "'" + n + "'" : "in slot " + slot;
    }

    private void store(int slot, TypeKind kind) {
        StackVal v = pop();
        if (kind != TypeKind.REFERENCE && emitting()) {
            Type t = typeOf(kind);
            Reg reg = inst.localReg(slot, t, index + 1);
            protectStackFrom(reg);
            if (!reg.equals(v.op())) emit(new Instr.Mov(reg, v.op()));
        }
        setLocal(slot, v.abs());
    }

    private void setLocal(int slot, AbsVal v) {
        if (slot > 0 && locals[slot - 1] != null && AbsVal.size(locals[slot - 1]) == 2) {
            locals[slot - 1] = new AbsVal.Top("overwritten half of a long/double");
        }
        locals[slot] = v;
        if (AbsVal.size(v) == 2 && slot + 1 < locals.length) locals[slot + 1] = new AbsVal.Top("second half of a long/double");
    }

    /** Before {@code reg} is overwritten, stack entries still reading it get their own copy. */
    private void protectStackFrom(Reg reg) {
        for (int i = 0; i < stack.size(); i++) {
            StackVal s = stack.get(i);
            if (reg.equals(s.op())) {
                Reg copy = temp(reg.type());
                emit(new Instr.Mov(copy, reg));
                stack.set(i, new StackVal(s.abs(), copy, s.widenedFrom()));
            }
        }
    }

    private void increment(int slot, int delta) {
        AbsVal.Prim p = (AbsVal.Prim) locals[slot];
        if (p.isConst()) {
            int r = (int) (long) p.bits() + delta;
            if (emitting()) {
                Reg reg = inst.localReg(slot, Type.I32, index);
                protectStackFrom(reg);
                emit(new Instr.Mov(reg, Imm.ofInt(r)));
            }
            locals[slot] = new AbsVal.Prim(Type.I32, (long) r);
            return;
        }
        if (emitting()) {
            Reg reg = inst.localReg(slot, Type.I32, index);
            protectStackFrom(reg);
            emit(new Instr.Binary(BinOp.ADD, reg, reg, Imm.ofInt(delta)));
        }
    }

    private void constant(ConstantInstruction c) {
        Object v = c.constantValue();
        switch (v) {
            case Integer i -> pushConst(Imm.ofInt(i));
            case Long l -> pushConst(Imm.ofLong(l));
            case Float f -> pushConst(Imm.ofFloat(f));
            case Double d -> pushConst(Imm.ofDouble(d));
            case null -> throw error("null references are not allowed in kernels", "pass every array as a parameter");
            default -> throw error("constant " + v + " of type " + v.getClass().getSimpleName()
                    + " is not allowed (kernels have no strings or class objects)", "use primitive constants");
        }
    }

    private boolean operator(Opcode op, TypeKind kind) {
        Type t = typeOf(kind);
        switch (op) {
            case IADD, LADD, FADD, DADD -> arith(BinOp.ADD, t);
            case ISUB, LSUB, FSUB, DSUB -> arith(BinOp.SUB, t);
            case IMUL, LMUL, FMUL, DMUL -> arith(BinOp.MUL, t);
            case IDIV, LDIV, FDIV, DDIV -> arith(BinOp.DIV, t);
            case IREM, LREM, FREM, DREM -> arith(BinOp.REM, t);
            case IAND, LAND -> arith(BinOp.AND, t);
            case IOR, LOR -> arith(BinOp.OR, t);
            case IXOR, LXOR -> arith(BinOp.XOR, t);
            case ISHL, LSHL -> shift(BinOp.SHL, t);
            case ISHR, LSHR -> shift(BinOp.SHR, t);
            case IUSHR, LUSHR -> shift(BinOp.USHR, t);
            case INEG, LNEG, FNEG, DNEG -> unary(UnOp.NEG, t, pop());
            case LCMP -> { return compare3(Type.I64, 0); }
            case FCMPL -> { return compare3(Type.F32, -1); }
            case FCMPG -> { return compare3(Type.F32, 1); }
            case DCMPL -> { return compare3(Type.F64, -1); }
            case DCMPG -> { return compare3(Type.F64, 1); }
            case ARRAYLENGTH -> {
                StackVal ref = pop();
                switch (ref.abs()) {
                    case AbsVal.Arr(ArrayRef.Shared s) -> pushConst(Imm.ofInt(s.length()));
                    case AbsVal.Arr(ArrayRef.Private p) -> pushConst(Imm.ofInt(p.length()));
                    default -> throw error("array length of a non-array", "use the length of a known array");
                }
            }
            default -> throw error("bytecode " + op + " is not supported", "use plain arithmetic");
        }
        return false;
    }

    private void arith(BinOp op, Type t) {
        StackVal b = pop(), a = pop();
        binary(op, t, a, b);
    }

    /** Java masks shift counts to 5 (int) or 6 (long) bits; the IR gets an in-range count. */
    private void shift(BinOp op, Type t) {
        StackVal count = pop(), value = pop();
        int mask = t == Type.I64 ? 63 : 31;
        Imm c = constOf(count);
        StackVal masked;
        if (c != null) {
            masked = new StackVal(new AbsVal.Prim(Type.I32, (long) (c.intValue() & mask)), Imm.ofInt(c.intValue() & mask));
        } else {
            Reg m = temp(Type.I32);
            emit(new Instr.Binary(BinOp.AND, m, count.op(), Imm.ofInt(mask)));
            masked = new StackVal(new AbsVal.Prim(Type.I32, null), m);
        }
        binary(op, t, value, masked);
    }

    /**
     * lcmp / fcmpl / fcmpg / dcmpl / dcmpg. Followed by if&lt;cond&gt; (as javac emits for
     * comparisons) it fuses into one compare-and-branch whose NaN outcome is the one
     * {@code nanResult} implies; otherwise it yields -1, 0 or 1.
     */
    private boolean compare3(Type t, int nanResult) {
        StackVal b = pop(), a = pop();
        Instruction next = nextInBlock();
        if (next instanceof BranchInstruction br && zeroCompare(br.opcode()) != null) {
            CmpOp op = zeroCompare(br.opcode());
            boolean unordered = testAgainstZero(op, nanResult);
            skipNext();
            conditional(op, unordered, a, b, indexOf(br));
            return true;
        }
        Imm ca = constOf(a), cb = constOf(b);
        if (ca != null && cb != null) {
            int r = ConstantFolder.compare(CmpOp.GT, nanResult > 0, ca, cb) ? 1
                    : ConstantFolder.compare(CmpOp.LT, nanResult < 0, ca, cb) ? -1 : 0;
            pushConst(Imm.ofInt(r));
            return false;
        }
        Reg gt = temp(Type.PRED), lt = temp(Type.PRED), inner = temp(Type.I32), out = temp(Type.I32);
        emit(new Instr.Compare(CmpOp.GT, nanResult > 0, gt, a.op(), b.op()));
        emit(new Instr.Compare(CmpOp.LT, nanResult < 0, lt, a.op(), b.op()));
        emit(new Instr.Select(inner, lt, Imm.ofInt(-1), Imm.ofInt(0)));
        emit(new Instr.Select(out, gt, Imm.ofInt(1), inner));
        pushValue(Type.I32, out);
        return false;
    }

    private static boolean testAgainstZero(CmpOp op, int v) {
        return switch (op) {
            case EQ -> v == 0; case NE -> v != 0; case LT -> v < 0;
            case LE -> v <= 0; case GT -> v > 0; case GE -> v >= 0;
        };
    }

    private static CmpOp zeroCompare(Opcode op) {
        return switch (op) {
            case IFEQ -> CmpOp.EQ; case IFNE -> CmpOp.NE; case IFLT -> CmpOp.LT;
            case IFGE -> CmpOp.GE; case IFGT -> CmpOp.GT; case IFLE -> CmpOp.LE;
            default -> null;
        };
    }

    private static CmpOp pairCompare(Opcode op) {
        return switch (op) {
            case IF_ICMPEQ -> CmpOp.EQ; case IF_ICMPNE -> CmpOp.NE; case IF_ICMPLT -> CmpOp.LT;
            case IF_ICMPGE -> CmpOp.GE; case IF_ICMPGT -> CmpOp.GT; case IF_ICMPLE -> CmpOp.LE;
            default -> null;
        };
    }

    private int indexOf(BranchInstruction b) { return code.indexOf(b.target()); }

    private void convertInsn(Opcode op) {
        ConvOp c = ConvOp.valueOf(op.name());
        convert(c, resultType(c), pop());
    }

    static Type resultType(ConvOp c) {
        return switch (c) {
            case I2L, F2L, D2L -> Type.I64;
            case I2F, L2F, D2F, BF16_TO_F32, F16_TO_F32 -> Type.F32;
            case I2D, L2D, F2D -> Type.F64;
            case L2I, F2I, D2I, I2B, I2S, I2C, F32_TO_BF16, F32_TO_F16 -> Type.I32;
            case F_BITS, BITS_F -> throw new IllegalArgumentException("width-dependent: " + c);
        };
    }

    // ---- control flow --------------------------------------------------------------------------

    private void branch(BranchInstruction b) {
        Opcode op = b.opcode();
        int target = indexOf(b);
        if (op == Opcode.GOTO || op == Opcode.GOTO_W) { jump(target); return; }
        CmpOp z = zeroCompare(op);
        if (z != null) {
            StackVal a = pop();
            conditional(z, false, a, new StackVal(new AbsVal.Prim(Type.I32, 0L), Imm.ofInt(0)), target);
            return;
        }
        CmpOp p = pairCompare(op);
        if (p != null) {
            StackVal bv = pop(), av = pop();
            conditional(p, false, av, bv, target);
            return;
        }
        throw error("comparing references (" + op + "): arrays are known at compile time and never null",
                "compare indices or sizes instead");
    }

    /** Branches to {@code target} if (a op b), else falls through to the next instruction. */
    private void conditional(CmpOp op, boolean unordered, StackVal a, StackVal b, int target) {
        int next = index + 1;
        Imm ca = constOf(a), cb = constOf(b);
        if (ca != null && cb != null) {
            jump(ConstantFolder.compare(op, unordered, ca, cb) ? target : next);
            return;
        }
        if (!emitting()) {
            flow.to(at(target), snapshot());
            flow.to(at(next), snapshot());
            return;
        }
        Reg pred = temp(Type.PRED);
        emit(new Instr.Compare(op, unordered, pred, a.op(), b.op()));
        materializeStack();
        cur.terminate(new Terminator.Branch(pred, inst.blockAt(at(target)), inst.blockAt(at(next))));
    }

    private void jump(int target) {
        if (!emitting()) {
            flow.to(at(target), snapshot());
            return;
        }
        materializeStack();
        cur.terminate(new Terminator.Goto(inst.blockAt(at(target))));
    }

    /** The site of instruction {@code target} when control goes there from this block. */
    private Site at(int target) { return inst.successor(site, target); }

    private void switchInsn(java.lang.classfile.Label dflt, List<SwitchCase> cases) {
        StackVal key = pop();
        Imm k = constOf(key);
        if (k != null) {
            int target = code.indexOf(dflt);
            for (SwitchCase c : cases) if (c.caseValue() == k.intValue()) target = code.indexOf(c.target());
            jump(target);
            return;
        }
        if (!emitting()) {
            flow.to(at(code.indexOf(dflt)), snapshot());
            for (SwitchCase c : cases) flow.to(at(code.indexOf(c.target())), snapshot());
            return;
        }
        materializeStack();
        int[] keys = cases.stream().mapToInt(SwitchCase::caseValue).toArray();
        List<Block> targets = cases.stream().map(c -> inst.blockAt(at(code.indexOf(c.target())))).toList();
        cur.terminate(new Terminator.Switch(key.op(), keys, targets, inst.blockAt(at(code.indexOf(dflt)))));
    }

    private void ret(TypeKind kind) {
        if (inst.caller == null) {
            if (emitting()) cur.terminate(new Terminator.Return());
            return;
        }
        if (kind != TypeKind.VOID) {
            StackVal v = pop();
            if (!emitting()) inst.mergeReturn(v.abs());
            else if (inst.returnReg != null) emit(new Instr.Mov(inst.returnReg, v.op()));
        }
        if (emitting()) cur.terminate(new Terminator.Goto(inst.continuation));
    }

    private Frame snapshot() {
        Frame f = new Frame(locals.length);
        System.arraycopy(locals, 0, f.locals, 0, locals.length);
        for (StackVal s : stack) f.stack.add(s.abs());
        return f;
    }

    /** Values left on the stack at a block end move into the canonical (depth, type) registers. */
    private void materializeStack() {
        List<Operand> sources = new ArrayList<>();
        for (int d = 0; d < stack.size(); d++) {
            Operand src = stack.get(d).op();
            // A source that is another depth's canonical register could be overwritten first.
            if (src instanceof Reg r && isOtherStackReg(r, d)) {
                Reg copy = temp(r.type());
                emit(new Instr.Mov(copy, r));
                src = copy;
            }
            sources.add(src);
        }
        for (int d = 0; d < stack.size(); d++) {
            if (stack.get(d).abs() instanceof AbsVal.Prim p) {
                Reg canon = inst.stackReg(d, p.type());
                if (!canon.equals(sources.get(d))) emit(new Instr.Mov(canon, sources.get(d)));
            }
        }
    }

    private boolean isOtherStackReg(Reg r, int depth) {
        for (int d = 0; d < stack.size(); d++) {
            if (d != depth && stack.get(d).abs() instanceof AbsVal.Prim p && inst.stackReg(d, p.type()).equals(r)) return true;
        }
        return false;
    }

    // ---- calls ---------------------------------------------------------------------------------

    private void invoke(InvokeInstruction i) {
        String owner = i.owner().asInternalName().replace('/', '.');
        String name = i.name().stringValue();
        switch (i.opcode()) {
            case INVOKESTATIC -> {
                if (Intrinsics.staticCall(this, owner, name, i.typeSymbol())) return;
                if (owner.startsWith("java.") || owner.startsWith("javax.") || owner.startsWith("jdk.") || owner.startsWith("sun.")) {
                    throw error("call to " + owner + "." + name + i.typeSymbol().descriptorString()
                            + ": only the java.lang.Math/Float functions the compiler knows are allowed",
                            "use KernelMath (exp, log, sqrt, rsqrt, tanh, pow, abs, min, max, floor, ceil, fma, bf16/half conversions)");
                }
                inline(owner, name, i.typeSymbol());
            }
            case INVOKEVIRTUAL -> {
                if (Intrinsics.virtualCall(this, owner, name, i.typeSymbol())) return;
                throw error("virtual call " + owner + "." + name + ": kernels cannot call instance methods",
                        "make the helper a static method (it will be inlined)");
            }
            case INVOKEINTERFACE -> throw error("interface call " + owner + "." + name + ": kernels cannot call instance methods",
                    "make the helper a static method (it will be inlined)");
            default -> throw error("call to " + owner + "." + name + " (constructor or private instance method): kernels have no objects",
                    "use static methods and primitives");
        }
    }

    private void inline(String owner, String name, java.lang.constant.MethodTypeDesc desc) {
        MethodCode callee = lifter.methodCode(owner, name, desc, this);
        if (!callee.isStatic) throw error(owner + "." + name + " is not static", "make it static");
        int n = desc.parameterCount();
        List<StackVal> args = new ArrayList<>();
        for (int k = 0; k < n; k++) args.addFirst(pop());
        List<AbsVal> abs = args.stream().map(StackVal::abs).toList();
        MethodInstance c = inst.callee(new Site(index, site.iterations()), index, callee, abs);
        AbsVal result = c.returnValue;
        boolean isVoid = desc.returnType().descriptorString().equals("V");
        if (!isVoid && result == null) result = new AbsVal.Top("the called method never returns");
        if (emitting()) {
            int slot = 0;
            for (StackVal a : args) {
                if (a.abs() instanceof AbsVal.Prim p) emit(new Instr.Mov(c.localReg(slot, p.type(), 0), a.op()));
                slot += AbsVal.size(a.abs());
            }
            Block cont = fn().newBlock(name + "_done");
            c.continuation = cont;
            c.returnReg = result instanceof AbsVal.Prim p && !p.isConst() ? lifter.temp(p.type()) : null;
            cur.terminate(new Terminator.Goto(c.blockAt(Site.of(0))));
            c.emit();
            cur = cont;
            fn().place(cur);
        }
        if (isVoid) return;
        switch (result) {
            case AbsVal.Prim p when p.isConst() -> pushConst(new Imm(p.type(), p.bits()));
            case AbsVal.Prim p -> stack.add(new StackVal(p, c.returnReg));
            default -> pushRef(result);
        }
    }

    // ---- arrays --------------------------------------------------------------------------------

    private ArrayRef javaArray(StackVal ref) {
        return switch (ref.abs()) {
            case AbsVal.Arr(ArrayRef a) when !(a instanceof ArrayRef.Global) -> a;
            case AbsVal.Top t -> throw error("array reference not known at compile time: " + t.why(), "use one variable per array");
            default -> throw error("indexing something that is not a shared or private array", "use device-array get/set");
        };
    }

    private void arrayLoad(TypeKind kind) {
        StackVal idx = pop();
        ArrayRef a = javaArray(pop());
        Type t = a.elem().regType;
        Reg dst = temp(t);
        emit(new Instr.Load(dst, a, idx.op()));
        pushValue(t, dst);
    }

    private void arrayStore(TypeKind kind) {
        StackVal v = pop(), idx = pop();
        ArrayRef a = javaArray(pop());
        emit(new Instr.Store(a, idx.op(), v.op()));
    }

    private void newArray(TypeKind kind) {
        StackVal count = pop();
        Imm n = constOf(count);
        if (n == null) {
            throw error("array size is not a compile-time constant: private arrays need a fixed size",
                    "use a literal, a static final constant, or a @Constant kernel parameter as the size");
        }
        if (n.intValue() < 0 || n.intValue() > 16384) throw error("private array size " + n.intValue() + " out of range 0..16384", "use a smaller array");
        ElemType elem = switch (kind) {
            case FLOAT -> ElemType.F32; case INT -> ElemType.I32; case LONG -> ElemType.I64; case DOUBLE -> ElemType.F64;
            case SHORT -> ElemType.I16; case CHAR -> ElemType.U16; case BYTE, BOOLEAN -> ElemType.I8;
            default -> throw error("array of " + kind, "use a primitive array");
        };
        String name = nameOfNextStore("priv");
        ArrayRef.Private arr = (ArrayRef.Private) inst.allocation(index, () -> new ArrayRef.Private(fn().uniqueName(name), elem, n.intValue()));
        if (emitting()) {
            fn().declare(arr);
            zeroFill(arr);
        }
        pushRef(new AbsVal.Arr(arr));
    }

    /** The source name of the local the value about to be pushed is stored into, if the next instruction stores it. */
    String nameOfNextStore(String fallback) {
        if (nextInBlock() instanceof StoreInstruction s) {
            String n = code.localName(s.slot(), index + 2);
            if (n != null) return n;
        }
        return fallback;
    }

    /** Arrays up to this length are zeroed by one store per element (so that they can become registers). */
    private static final int UNROLLED_ZERO_FILL = 256;

    /**
     * Java zero-initialises new arrays: small ones by a store per element (constant indices,
     * which {@link PrivateArrayScalarizer} can turn into registers), larger ones by a loop.
     */
    private void zeroFill(ArrayRef.Private arr) {
        if (arr.length() <= UNROLLED_ZERO_FILL) {
            for (int k = 0; k < arr.length(); k++) emit(new Instr.Store(arr, Imm.ofInt(k), Imm.zero(arr.elem().regType)));
            return;
        }
        Reg i = lifter.temp(Type.I32);
        Reg p = lifter.temp(Type.PRED);
        Block head = fn().newBlock(arr.name() + "_zero");
        Block body = fn().newBlock(arr.name() + "_zero_body");
        Block done = fn().newBlock(arr.name() + "_zeroed");
        emit(new Instr.Mov(i, Imm.ofInt(0)));
        cur.terminate(new Terminator.Goto(head));
        cur = head;
        fn().place(cur);
        emit(new Instr.Compare(CmpOp.LT, false, p, i, Imm.ofInt(arr.length())));
        cur.terminate(new Terminator.Branch(p, body, done));
        cur = body;
        fn().place(cur);
        emit(new Instr.Store(arr, i, Imm.zero(arr.elem().regType)));
        emit(new Instr.Binary(BinOp.ADD, i, i, Imm.ofInt(1)));
        cur.terminate(new Terminator.Goto(head));
        cur = done;
        fn().place(cur);
    }

    private void stackOp(Opcode op) {
        switch (op) {
            case POP -> pop();
            case POP2 -> { if (AbsVal.size(pop().abs()) == 1) pop(); }
            case DUP -> stack.add(peek(0));
            case DUP_X1 -> { StackVal a = pop(), b = pop(); stack.add(a); stack.add(b); stack.add(a); }
            case DUP_X2 -> {
                StackVal a = pop(), b = pop();
                if (AbsVal.size(b.abs()) == 2) { stack.add(a); stack.add(b); stack.add(a); }
                else { StackVal c = pop(); stack.add(a); stack.add(c); stack.add(b); stack.add(a); }
            }
            case DUP2 -> {
                StackVal a = peek(0);
                if (AbsVal.size(a.abs()) == 2) stack.add(a);
                else { StackVal b = peek(1); stack.add(b); stack.add(a); }
            }
            case DUP2_X1 -> {
                StackVal a = pop();
                if (AbsVal.size(a.abs()) == 2) { StackVal b = pop(); stack.add(a); stack.add(b); stack.add(a); }
                else { StackVal b = pop(), c = pop(); stack.add(b); stack.add(a); stack.add(c); stack.add(b); stack.add(a); }
            }
            case DUP2_X2 -> throw error("dup2_x2 is not supported", "simplify the expression");
            case SWAP -> { StackVal a = pop(), b = pop(); stack.add(a); stack.add(b); }
            default -> throw error("stack bytecode " + op, "simplify the expression");
        }
    }
}
