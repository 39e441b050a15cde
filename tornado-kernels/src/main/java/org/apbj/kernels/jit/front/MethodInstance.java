package org.apbj.kernels.jit.front;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apbj.kernels.jit.KernelCompileException;
import org.apbj.kernels.jit.ir.ArrayRef;
import org.apbj.kernels.jit.ir.Block;
import org.apbj.kernels.jit.ir.Reg;
import org.apbj.kernels.jit.ir.Type;

/**
 * One copy of a method in the kernel being compiled: the kernel itself, or a callee inlined at
 * one call site. It owns the abstract states at its block entries (computed by a fixed point
 * over the control-flow graph), its registers (one per (local slot, type) and per (stack depth,
 * type)), the arrays its allocation sites create, and the copies of its own callees.
 */
final class MethodInstance {
    final Lifter lifter;
    final MethodCode code;
    final List<AbsVal> args;
    final MethodInstance caller;
    final int callerIndex;

    /** Abstract state at the start of each reachable block, by site. */
    final Map<Site, Frame> entryFrames = new TreeMap<>();
    /** Merged abstract value of all returns (null for void methods or before analysis). */
    AbsVal returnValue;

    private final Map<Site, MethodInstance> callees = new HashMap<>();
    private final Map<Integer, ArrayRef> allocations = new HashMap<>();
    private final Map<String, Reg> localRegs = new HashMap<>();
    private final Map<String, Reg> stackRegs = new HashMap<>();
    private final Map<Site, Block> blocks = new HashMap<>();

    /** Where an inlined copy's returns go (emission only). */
    Block continuation;
    Reg returnReg;

    MethodInstance(Lifter lifter, MethodCode code, List<AbsVal> args, MethodInstance caller, int callerIndex) {
        this.lifter = lifter;
        this.code = code;
        this.args = List.copyOf(args);
        this.caller = caller;
        this.callerIndex = callerIndex;
    }

    /** Runs the abstract interpretation to its fixed point. */
    void analyze() {
        Frame entry = new Frame(code.maxLocals);
        int slot = 0;
        for (AbsVal a : args) {
            entry.locals[slot] = a;
            slot += AbsVal.size(a);
        }
        entryFrames.put(Site.of(0), entry);
        Deque<Site> work = new ArrayDeque<>(List.of(Site.of(0)));
        while (!work.isEmpty()) {
            Site start = work.removeFirst();
            new Interpreter(this, start, entryFrames.get(start), null).run((target, frame) -> {
                Frame old = entryFrames.get(target);
                Frame merged = old == null ? frame : old.mergedWith(frame, code, target.index());
                if (merged != null) {
                    entryFrames.put(target, merged);
                    if (!work.contains(target)) work.addLast(target);
                }
            });
        }
    }

    /** Emits IR for every reachable block, in bytecode order. */
    void emit() {
        for (var e : entryFrames.entrySet()) {
            Block b = blockAt(e.getKey());
            new Interpreter(this, e.getKey(), e.getValue(), b).run(null);
        }
    }

    void mergeReturn(AbsVal v) {
        returnValue = returnValue == null ? v : AbsVal.merge(returnValue, v);
    }

    Block blockAt(Site site) {
        return blocks.computeIfAbsent(site, s -> lifter.fn().newBlock(
                (caller == null ? "" : code.methodName + "_") + "L" + code.bci[s.index()] + s.suffix()));
    }

    /**
     * The site that control reaches at instruction {@code target} from a block at {@code from}.
     * In an {@code @Unroll} method a loop's header starts a new copy on every arrival: iteration 0
     * from outside the loop, the next one along the backward branch; leaving a loop drops its
     * count. Elsewhere every instruction has one site.
     */
    Site successor(Site from, int target) {
        if (!code.unroll) return Site.of(target);
        List<Integer> out = new ArrayList<>();
        int k = 0;   // position in from.iterations(), which follows the loops containing from.index()
        for (MethodCode.Loop loop : code.loops) {
            boolean wasIn = loop.contains(from.index());
            int count = wasIn ? from.iterations().get(k++) : -1;
            if (!loop.contains(target)) continue;
            if (loop.header() == target) {
                count = wasIn ? count + 1 : 0;
                if (count >= org.apbj.kernels.api.Unroll.MAX_ITERATIONS) {
                    throw lifter.error(this, target, "@Unroll: the loop at this line did not end after "
                            + org.apbj.kernels.api.Unroll.MAX_ITERATIONS + " iterations: its trip count is not a compile-time constant"
                            + " (or is too large to unroll)", "bound the loop by literals, static final constants or @Constant parameters,"
                            + " or move it out of the @Unroll method");
                }
            }
            out.add(count);
        }
        return new Site(target, List.copyOf(out));
    }

    Reg localReg(int slot, Type type, int index) {
        return localRegs.computeIfAbsent(slot + ":" + type, k -> {
            String name = code.localName(slot, index);
            return lifter.fn().newReg(type, name != null ? name : "l" + slot + suffix(type));
        });
    }

    Reg stackReg(int depth, Type type) {
        return stackRegs.computeIfAbsent(depth + ":" + type,
                k -> lifter.fn().newReg(type, "s" + depth + suffix(type)));
    }

    private static String suffix(Type t) {
        return switch (t) { case I32 -> "i"; case I64 -> "l"; case F32 -> "f"; case F64 -> "d"; case PRED -> "p"; };
    }

    /** The callee copy at instruction {@code index}, re-analysed when its arguments changed. */
    MethodInstance callee(Site site, int index, MethodCode calleeCode, List<AbsVal> calleeArgs) {
        MethodInstance c = callees.get(site);
        if (c == null || !c.args.equals(calleeArgs)) {
            for (MethodInstance m = this; m != null; m = m.caller) {
                if (m.code.className.equals(calleeCode.className) && m.code.methodName.equals(calleeCode.methodName)
                        && m.code.type.equals(calleeCode.type)) {
                    throw lifter.error(this, index, "recursion: " + calleeCode.className + "." + calleeCode.methodName
                            + " calls itself (directly or through other methods), and kernels are inlined completely",
                            "write the recursion as a loop with a fixed-size private array as the stack");
                }
            }
            c = new MethodInstance(lifter, calleeCode, calleeArgs, this, index);
            c.analyze();
            callees.put(site, c);
        }
        return c;
    }

    /** The array that allocation site {@code index} creates (one per site and copy). */
    ArrayRef allocation(int index, java.util.function.Supplier<ArrayRef> create) {
        return allocations.computeIfAbsent(index, i -> create.get());
    }

    /** Call chain for error messages: " (inlined into X.k at File.java:12)". */
    String inliningChain() {
        StringBuilder sb = new StringBuilder();
        for (MethodInstance m = this; m.caller != null; m = m.caller) {
            sb.append(", inlined into ").append(m.caller.code.where(m.callerIndex));
        }
        return sb.toString();
    }

    List<MethodCode> allMethods() {
        List<MethodCode> out = new ArrayList<>(List.of(code));
        for (MethodInstance c : callees.values()) out.addAll(c.allMethods());
        return out;
    }
}
