package org.apbj.kernels.jit.front;

import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeModel;
import java.lang.classfile.Instruction;
import java.lang.classfile.Label;
import java.lang.classfile.MethodModel;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.ExceptionCatch;
import java.lang.classfile.instruction.LabelTarget;
import java.lang.classfile.instruction.LineNumber;
import java.lang.classfile.instruction.LocalVariable;
import java.lang.classfile.instruction.LookupSwitchInstruction;
import java.lang.classfile.instruction.ReturnInstruction;
import java.lang.classfile.instruction.SwitchCase;
import java.lang.classfile.instruction.TableSwitchInstruction;
import java.lang.classfile.instruction.ThrowInstruction;
import java.lang.constant.MethodTypeDesc;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apbj.kernels.jit.KernelCompileException;

/**
 * One method's bytecode, decoded with java.lang.classfile: the instructions in order with
 * their bytecode offsets and source lines, the basic-block leaders, and local variable names.
 */
final class MethodCode {
    final String className;     // binary name, e.g. org.apbj.Foo
    final String methodName;
    final MethodTypeDesc type;
    final String sourceFile;
    final boolean isStatic;
    final int maxLocals;
    final byte[] codeBytes;      // the Code attribute's bytecode, hashed into cache keys
    final List<Instruction> insns = new ArrayList<>();
    final int[] bci;
    final int[] line;
    final BitSet leaders = new BitSet();
    final int firstHandlerIndex;  // index of the first try-block instruction, -1 without handlers
    /** Whether the method carries {@code @Unroll}: its loops are unrolled completely. */
    final boolean unroll;
    /** The loops, innermost last among those sharing instructions: [header, last] index ranges. */
    final List<Loop> loops = new ArrayList<>();
    private final Map<Label, Integer> labelIndex = new HashMap<>();
    private final List<LocalVariable> locals = new ArrayList<>();

    private MethodCode(ClassModel cls, MethodModel m) {
        className = cls.thisClass().asInternalName().replace('/', '.');
        methodName = m.methodName().stringValue();
        type = m.methodTypeSymbol();
        sourceFile = cls.findAttribute(Attributes.sourceFile()).map(a -> a.sourceFile().stringValue())
                .orElse(className.substring(className.lastIndexOf('.') + 1) + ".java");
        isStatic = (m.flags().flagsMask() & ClassFile.ACC_STATIC) != 0;
        CodeModel code = m.code().orElseThrow(() -> new KernelCompileException(
                className + "." + methodName + " has no bytecode (abstract or native): kernels and the methods they call must be plain static Java methods"));
        maxLocals = code.findAttribute(Attributes.code()).map(c -> c.maxLocals()).orElse(256);
        // the method's Code attribute (the CodeModel holds no Code attribute of its own: asking it gave
        // empty bytes, so cache keys covered method names only and a changed kernel body hit stale entries)
        codeBytes = m.findAttribute(Attributes.code()).map(c -> c.codeArray()).orElseThrow();

        List<Integer> bcis = new ArrayList<>();
        List<Integer> lines = new ArrayList<>();
        List<Label> handlerStarts = new ArrayList<>();
        int offset = 0;
        int currentLine = -1;
        for (CodeElement e : code) {
            switch (e) {
                case LabelTarget lt -> labelIndex.put(lt.label(), insns.size());
                case LineNumber ln -> currentLine = ln.line();
                case LocalVariable lv -> locals.add(lv);
                case ExceptionCatch ec -> handlerStarts.add(ec.tryStart());
                case Instruction insn -> {
                    insns.add(insn);
                    bcis.add(offset);
                    lines.add(currentLine);
                    offset += insn.sizeInBytes();
                }
                default -> { }
            }
        }
        bci = bcis.stream().mapToInt(Integer::intValue).toArray();
        line = lines.stream().mapToInt(Integer::intValue).toArray();
        firstHandlerIndex = handlerStarts.stream().mapToInt(this::indexOf).min().orElse(-1);
        unroll = m.findAttribute(Attributes.runtimeVisibleAnnotations()).map(a -> a.annotations().stream()
                .anyMatch(an -> an.className().stringValue().equals("L" + UNROLL + ";"))).orElse(false);
        findLeaders();
        findLoops();
    }

    private static final String UNROLL = org.apbj.kernels.api.Unroll.class.getName().replace('.', '/');

    /**
     * A loop as javac lays it out: the header at {@code header}, entered from before it, and a
     * backward branch at {@code last} closing the body, so its instructions are [header, last].
     */
    record Loop(int header, int last) {
        boolean contains(int index) { return index >= header && index <= last; }
    }

    /** Backward branches make loops; several to one header (continue) make one loop up to the last. */
    private void findLoops() {
        Map<Integer, Integer> lastByHeader = new java.util.TreeMap<>();
        for (int i = 0; i < insns.size(); i++) {
            if (insns.get(i) instanceof BranchInstruction b && indexOf(b.target()) <= i) lastByHeader.merge(indexOf(b.target()), i, Math::max);
        }
        lastByHeader.forEach((h, last) -> loops.add(new Loop(h, last)));
    }

    /** Instruction index that a label marks. */
    int indexOf(Label l) {
        Integer i = labelIndex.get(l);
        if (i == null) throw new IllegalStateException("unbound label in " + methodName);
        return i;
    }

    private void findLeaders() {
        leaders.set(0);
        for (int i = 0; i < insns.size(); i++) {
            Instruction insn = insns.get(i);
            switch (insn) {
                case BranchInstruction b -> { leaders.set(indexOf(b.target())); leaders.set(i + 1); }
                case TableSwitchInstruction t -> {
                    leaders.set(indexOf(t.defaultTarget()));
                    for (SwitchCase c : t.cases()) leaders.set(indexOf(c.target()));
                    leaders.set(i + 1);
                }
                case LookupSwitchInstruction t -> {
                    leaders.set(indexOf(t.defaultTarget()));
                    for (SwitchCase c : t.cases()) leaders.set(indexOf(c.target()));
                    leaders.set(i + 1);
                }
                case ReturnInstruction r -> leaders.set(i + 1);
                case ThrowInstruction t -> leaders.set(i + 1);
                default -> { }
            }
        }
        leaders.clear(insns.size(), leaders.size() + 1);
    }

    boolean isLeader(int index) { return leaders.get(index); }

    /** Source-level name of local {@code slot} at instruction {@code index} (from LocalVariableTable), or null. */
    String localName(int slot, int index) {
        int at = index < bci.length ? bci[index] : Integer.MAX_VALUE;
        LocalVariable best = null;
        for (LocalVariable lv : locals) {
            if (lv.slot() != slot) continue;
            int start = labelIndex.containsKey(lv.startScope()) ? bci(indexOf(lv.startScope())) : 0;
            int end = labelIndex.containsKey(lv.endScope()) ? bci(indexOf(lv.endScope())) : Integer.MAX_VALUE;
            if (at >= start && at < end) return lv.name().stringValue();
            if (best == null) best = lv;
        }
        return best == null ? null : best.name().stringValue();
    }

    private int bci(int index) { return index < bci.length ? bci[index] : Integer.MAX_VALUE; }

    String simpleClassName() { return className.substring(className.lastIndexOf('.') + 1); }

    /** "Class.method (File.java:42, bytecode offset 17)". */
    String where(int index) {
        int ln = index >= 0 && index < line.length ? line[index] : -1;
        int off = index >= 0 && index < bci.length ? bci[index] : -1;
        return className + "." + methodName + " (" + sourceFile + ":" + (ln < 0 ? "?" : ln)
                + ", bytecode offset " + off + ")";
    }

    static MethodCode load(ClassLoader loader, String binaryClassName, String name, MethodTypeDesc desc) {
        ClassModel cls = parse(loader, binaryClassName);
        for (MethodModel m : cls.methods()) {
            if (m.methodName().equalsString(name) && m.methodTypeSymbol().equals(desc)) return new MethodCode(cls, m);
        }
        throw new KernelCompileException("method " + binaryClassName + "." + name + desc.descriptorString() + " not found in its class file");
    }

    static ClassModel parse(ClassLoader loader, String binaryClassName) {
        String resource = binaryClassName.replace('.', '/') + ".class";
        ClassLoader cl = loader != null ? loader : ClassLoader.getSystemClassLoader();
        try (InputStream in = cl.getResourceAsStream(resource)) {
            if (in == null) throw new KernelCompileException("class file " + resource + " not found by " + cl
                    + ": kernels and the methods they call must be loadable class files");
            return ClassFile.of().parse(in.readAllBytes());
        } catch (IOException e) {
            throw new KernelCompileException("cannot read class file " + resource + ": " + e.getMessage(), e);
        }
    }
}
