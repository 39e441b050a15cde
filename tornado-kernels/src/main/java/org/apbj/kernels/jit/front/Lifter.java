package org.apbj.kernels.jit.front;

import java.lang.constant.MethodTypeDesc;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.Constant;
import org.apbj.kernels.api.F16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.I64Array;
import org.apbj.kernels.api.I8Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.LaunchBounds;
import org.apbj.kernels.api.TensorMap;
import org.apbj.kernels.jit.CompiledKernel.ParamKind;
import org.apbj.kernels.jit.KernelCompileException;
import org.apbj.kernels.jit.Target;
import org.apbj.kernels.jit.ir.ArrayRef;
import org.apbj.kernels.jit.ir.Block;
import org.apbj.kernels.jit.ir.ElemType;
import org.apbj.kernels.jit.ir.Imm;
import org.apbj.kernels.jit.ir.Instr;
import org.apbj.kernels.jit.ir.IrFunction;
import org.apbj.kernels.jit.ir.KernelParam;
import org.apbj.kernels.jit.ir.Reg;
import org.apbj.kernels.jit.ir.Terminator;
import org.apbj.kernels.jit.ir.Type;

/**
 * The front end: turns a kernel method (and everything it calls) into an {@link IrFunction}.
 * The kernel's bytecode is interpreted over abstract values to a fixed point (types, known
 * constants, which array each reference is), then interpreted once more to emit IR; static
 * callees are inlined as copies analysed with their actual arguments.
 */
public final class Lifter {
    private final Method kernel;
    private final Target target;
    private final ClassLoader loader;
    private final IrFunction fn;
    private final Map<String, MethodCode> codeCache = new HashMap<>();
    private final Map<Type, Integer> tempCounters = new HashMap<>();

    private Lifter(Method kernel, Target target) {
        this.kernel = kernel;
        this.target = target;
        this.loader = kernel.getDeclaringClass().getClassLoader();
        String simple = kernel.getDeclaringClass().getSimpleName();
        this.fn = new IrFunction((simple.isEmpty() ? "Kernel" : simple) + "_" + kernel.getName());
    }

    /**
     * Lifts {@code kernel}; {@code constants[i]} is the value of Java parameter i when it is
     * {@code @Constant} (boxed), else ignored.
     */
    public static IrFunction lift(Method kernel, Target target, Object[] constants) {
        return new Lifter(kernel, target).run(constants);
    }

    IrFunction fn() { return fn; }

    Target target() { return target; }

    ClassLoader loader() { return loader; }

    Reg temp(Type t) {
        int n = tempCounters.merge(t, 1, Integer::sum);
        String base = switch (t) { case I32 -> "r"; case I64 -> "rd"; case F32 -> "f"; case F64 -> "fd"; case PRED -> "p"; };
        return fn.newReg(t, base + n);
    }

    KernelCompileException error(MethodInstance inst, int index, String rule, String fix) {
        return new KernelCompileException(inst.code.where(index) + inst.inliningChain() + ": " + rule + ". Instead: " + fix + ".");
    }

    MethodCode methodCode(String owner, String name, MethodTypeDesc desc, Interpreter at) {
        String key = owner + "." + name + desc.descriptorString();
        MethodCode c = codeCache.get(key);
        if (c == null) {
            try {
                c = MethodCode.load(loader, owner, name, desc);
            } catch (KernelCompileException e) {
                throw at.error("cannot inline " + key + ": " + e.getMessage(), "call static methods of classes on the class path");
            }
            codeCache.put(key, c);
        }
        return c;
    }

    private IrFunction run(Object[] constants) {
        String where = kernel.getDeclaringClass().getName() + "." + kernel.getName();
        if (!Modifier.isStatic(kernel.getModifiers()) || kernel.getReturnType() != void.class) {
            throw new KernelCompileException(where + ": a kernel must be a static void method. Instead: declare it public static void.");
        }
        Parameter[] ps = kernel.getParameters();
        if (ps.length == 0 || ps[0].getType() != KernelContext.class) {
            throw new KernelCompileException(where + ": a kernel's first parameter must be the KernelContext. Instead: declare (KernelContext ctx, ...).");
        }
        LaunchBounds bounds = kernel.getAnnotation(LaunchBounds.class);
        if (bounds != null) {
            if (bounds.threads() < 1 || bounds.threads() > 1024 || bounds.minGroupsPerMultiprocessor() < 1) {
                throw new KernelCompileException(where + ": @LaunchBounds(threads = " + bounds.threads() + ", minGroupsPerMultiprocessor = "
                        + bounds.minGroupsPerMultiprocessor() + ") is out of range. Instead: threads in 1..1024, minGroupsPerMultiprocessor >= 1.");
            }
            fn.launchBounds(bounds.threads(), bounds.minGroupsPerMultiprocessor());
        }
        MethodCode root = MethodCode.load(loader, kernel.getDeclaringClass().getName(), kernel.getName(),
                MethodTypeDesc.ofDescriptor(descriptorOf(kernel)));

        List<AbsVal> args = new ArrayList<>();
        args.add(new AbsVal.Ctx());
        List<Object[]> pending = new ArrayList<>();   // (javaIndex, slot, kind, AbsVal)
        int slot = 1;
        for (int i = 1; i < ps.length; i++) {
            Parameter p = ps[i];
            String name = root.localName(slot, 0) != null ? root.localName(slot, 0) : p.getName();
            ParamKind kind = kindOf(p.getType(), where, name);
            boolean constant = p.isAnnotationPresent(Constant.class);
            AbsVal abs;
            if (kind == ParamKind.TENSOR_MAP) {
                if (constant) throw new KernelCompileException(where + ": @Constant on tensor map parameter '" + name + "'. Instead: mark only primitive parameters @Constant.");
                if (target.kind() != Target.Kind.PTX) {
                    throw new KernelCompileException(where + ": parameter '" + name + "' is a TensorMap, which only PTX targets"
                            + " (sm_90 and later) can take. Instead: run this kernel on the Java device or a Hopper GPU, and give"
                            + " " + target + " a kernel that reads the arrays directly.");
                }
                abs = new AbsVal.MapParam(fn.uniqueName(name));
            } else if (kind.isArray()) {
                if (constant) throw new KernelCompileException(where + ": @Constant on array parameter '" + name + "'. Instead: mark only primitive parameters @Constant.");
                abs = new AbsVal.Arr(new ArrayRef.Global(fn.uniqueName(name), elemOf(kind)));
            } else if (constant) {
                abs = constantArg(where, name, p.getType(), constants == null || i - 1 >= constants.length ? null : constants[i - 1]);
            } else {
                abs = new AbsVal.Prim(regType(kind), null);
            }
            args.add(abs);
            pending.add(new Object[] {i, slot, kind, abs, name, constant});
            slot += AbsVal.size(abs);
        }

        MethodInstance inst = new MethodInstance(this, root, args, null, -1);
        inst.analyze();

        Block entry = fn.newBlock("entry");
        fn.place(entry);
        for (Object[] pa : pending) {
            int javaIndex = (Integer) pa[0], s = (Integer) pa[1];
            ParamKind kind = (ParamKind) pa[2];
            AbsVal abs = (AbsVal) pa[3];
            String name = (String) pa[4];
            boolean constant = (Boolean) pa[5];
            if (abs instanceof AbsVal.Arr(ArrayRef.Global g)) {
                fn.params().add(new KernelParam(javaIndex, g.name(), kind, g, null));
            } else if (abs instanceof AbsVal.MapParam(String mapName)) {
                fn.params().add(new KernelParam(javaIndex, mapName, kind, null, null));
            } else if (constant) {
                AbsVal.Prim pr = (AbsVal.Prim) abs;
                // Paths that later merge the constant with other values read the register.
                entry.add(new Instr.Mov(inst.localReg(s, pr.type(), 0), new Imm(pr.type(), pr.bits())));
            } else {
                Reg reg = inst.localReg(s, regType(kind), 0);
                fn.params().add(new KernelParam(javaIndex, name, kind, null, reg));
            }
        }
        entry.terminate(new Terminator.Goto(inst.blockAt(Site.of(0))));
        inst.emit();
        PrivateArrayScalarizer.run(fn);
        requireRegisterAccumulators(where);
        MoveCoalescer.run(fn);
        return fn;
    }

    /** An asynchronous warpgroup product must own its accumulators: they have to be registers. */
    private void requireRegisterAccumulators(String where) {
        for (Block b : fn.blocks()) {
            for (Instr i : b.instrs()) {
                if (i instanceof Instr.WarpGroupMmaRegA m && m.accRegs().isEmpty()) {
                    throw new KernelCompileException(where + ": the accumulator array '" + m.acc().name()
                            + "' of WarpGroup.mmaBf16RegA is indexed by a variable somewhere, so it cannot stay in registers."
                            + " Instead: index it only with constants (literals, or loop variables of @Unroll methods).");
                }
                if (i instanceof Instr.WarpGroupMma m && m.accRegs().isEmpty()) {
                    throw new KernelCompileException(where + ": the accumulator array '" + m.acc().name()
                            + "' of WarpGroup.mmaBf16 is indexed by a variable somewhere, so it cannot stay in registers."
                            + " Instead: index it only with constants (literals, or loop variables of @Unroll methods).");
                }
            }
        }
    }

    private static AbsVal constantArg(String where, String name, Class<?> type, Object value) {
        if (value == null) {
            throw new KernelCompileException(where + ": @Constant parameter '" + name + "' has no launch value."
                    + " Instead: compile with the launch arguments (KernelCompiler.compile(kernel, target, args)).");
        }
        Imm imm = switch (value) {
            case Integer v when type == int.class -> Imm.ofInt(v);
            case Short v when type == short.class -> Imm.ofInt(v);
            case Byte v when type == byte.class -> Imm.ofInt(v);
            case Boolean v when type == boolean.class -> Imm.ofInt(v ? 1 : 0);
            case Character v when type == char.class -> Imm.ofInt(v);
            case Long v when type == long.class -> Imm.ofLong(v);
            case Float v when type == float.class -> Imm.ofFloat(v);
            case Double v when type == double.class -> Imm.ofDouble(v);
            default -> throw new KernelCompileException(where + ": @Constant parameter '" + name + "' of type " + type
                    + " got launch value " + value + " (" + value.getClass().getSimpleName() + "). Instead: pass a boxed " + type + ".");
        };
        return new AbsVal.Prim(imm.type(), imm.bits());
    }

    static ParamKind kindOf(Class<?> t, String where, String name) {
        if (t == F32Array.class) return ParamKind.F32_ARRAY;
        if (t == BF16Array.class) return ParamKind.BF16_ARRAY;
        if (t == F16Array.class) return ParamKind.F16_ARRAY;
        if (t == I32Array.class) return ParamKind.I32_ARRAY;
        if (t == I8Array.class) return ParamKind.I8_ARRAY;
        if (t == I64Array.class) return ParamKind.I64_ARRAY;
        if (t == int.class || t == char.class) return ParamKind.INT;
        if (t == long.class) return ParamKind.LONG;
        if (t == float.class) return ParamKind.FLOAT;
        if (t == double.class) return ParamKind.DOUBLE;
        if (t == short.class) return ParamKind.SHORT;
        if (t == byte.class) return ParamKind.BYTE;
        if (t == boolean.class) return ParamKind.BOOLEAN;
        if (t == TensorMap.class) return ParamKind.TENSOR_MAP;
        throw new KernelCompileException(where + ": parameter '" + name + "' has type " + t.getName()
                + ", which kernels cannot take. Instead: use F32Array, BF16Array, F16Array, I32Array, I8Array, I64Array, TensorMap or a primitive.");
    }

    static ElemType elemOf(ParamKind k) {
        return switch (k) {
            case F32_ARRAY -> ElemType.F32; case BF16_ARRAY, F16_ARRAY -> ElemType.I16;
            case I32_ARRAY -> ElemType.I32; case I8_ARRAY -> ElemType.I8; case I64_ARRAY -> ElemType.I64;
            default -> throw new IllegalArgumentException(k + " is not an array");
        };
    }

    static Type regType(ParamKind k) {
        return switch (k) {
            case LONG -> Type.I64; case FLOAT -> Type.F32; case DOUBLE -> Type.F64;
            default -> Type.I32;
        };
    }

    static String descriptorOf(Method m) {
        StringBuilder sb = new StringBuilder("(");
        for (Class<?> p : m.getParameterTypes()) sb.append(p.descriptorString());
        return sb.append(')').append(m.getReturnType().descriptorString()).toString();
    }
}
