package org.apbj.kernels.jit.front;

import java.lang.classfile.instruction.ConvertInstruction;
import java.lang.classfile.instruction.FieldInstruction;
import java.lang.constant.MethodTypeDesc;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apbj.kernels.jit.Feature;
import org.apbj.kernels.jit.Target;
import org.apbj.kernels.jit.ir.ArrayRef;
import org.apbj.kernels.jit.ir.ElemType;
import org.apbj.kernels.jit.ir.Imm;
import org.apbj.kernels.jit.ir.Instr;
import org.apbj.kernels.jit.ir.Instr.BinOp;
import org.apbj.kernels.jit.ir.Instr.CmpOp;
import org.apbj.kernels.jit.ir.Instr.ConvOp;
import org.apbj.kernels.jit.ir.Instr.ShuffleMode;
import org.apbj.kernels.jit.ir.Instr.UnOp;
import org.apbj.kernels.jit.ir.Operand;
import org.apbj.kernels.jit.ir.Reg;
import org.apbj.kernels.jit.ir.Special;
import org.apbj.kernels.jit.ir.Type;

/**
 * Calls and field reads the compiler maps to device operations instead of inlining:
 * KernelContext ids, barriers, shared arrays and warp exchanges; device-array access;
 * KernelMath and the java.lang.Math / Float functions with the same meaning.
 */
final class Intrinsics {
    private Intrinsics() {}

    static final String API = "org.apbj.kernels.api.";
    static final String CONTEXT = API + "KernelContext";

    // ---- fields --------------------------------------------------------------------------------

    static void field(Interpreter in, FieldInstruction f) {
        String owner = f.owner().asInternalName().replace('/', '.');
        String name = f.name().stringValue();
        switch (f.opcode()) {
            case GETFIELD -> {
                StackVal receiver = in.pop();
                if (!(receiver.abs() instanceof AbsVal.Ctx) || !owner.equals(CONTEXT)) {
                    throw in.error("field read " + owner + "." + name + ": kernels cannot read object fields",
                            "pass the value as a kernel parameter");
                }
                Special s = contextField(name);
                if (s == null) throw in.error("KernelContext." + name + " is not a launch coordinate", "use the id and size fields");
                Reg dst = in.temp(Type.I32);
                in.emit(new Instr.ReadSpecial(s, dst));
                in.pushValue(Type.I32, dst);
            }
            case GETSTATIC -> in.pushConst(staticConstant(in, owner, name));
            case PUTFIELD -> throw in.error("write to field " + owner + "." + name
                    + ": kernels cannot write fields (KernelContext fields are read-only launch coordinates)",
                    "use a local variable");
            default -> throw in.error("write to static field " + owner + "." + name + ": kernels cannot write fields",
                    "write results into a device-array parameter");
        }
    }

    private static Special contextField(String name) {
        return switch (name) {
            case "globalIdx" -> Special.GLOBAL_ID_X; case "globalIdy" -> Special.GLOBAL_ID_Y; case "globalIdz" -> Special.GLOBAL_ID_Z;
            case "localIdx" -> Special.LOCAL_ID_X; case "localIdy" -> Special.LOCAL_ID_Y; case "localIdz" -> Special.LOCAL_ID_Z;
            case "groupIdx" -> Special.GROUP_ID_X; case "groupIdy" -> Special.GROUP_ID_Y; case "groupIdz" -> Special.GROUP_ID_Z;
            case "globalGroupSizeX" -> Special.GLOBAL_SIZE_X; case "globalGroupSizeY" -> Special.GLOBAL_SIZE_Y;
            case "globalGroupSizeZ" -> Special.GLOBAL_SIZE_Z;
            case "localGroupSizeX" -> Special.LOCAL_SIZE_X; case "localGroupSizeY" -> Special.LOCAL_SIZE_Y;
            case "localGroupSizeZ" -> Special.LOCAL_SIZE_Z;
            default -> null;
        };
    }

    /** A static final primitive field's value, read from the initialised class. */
    private static Imm staticConstant(Interpreter in, String owner, String name) {
        Field field;
        try {
            Class<?> c = Class.forName(owner, true, in.lifter().loader());
            field = c.getDeclaredField(name);
        } catch (ReflectiveOperationException | LinkageError e) {
            throw in.error("static field " + owner + "." + name + " cannot be resolved (" + e + ")", "use a literal constant");
        }
        int mod = field.getModifiers();
        if (!Modifier.isStatic(mod) || !Modifier.isFinal(mod) || !field.getType().isPrimitive()) {
            throw in.error("read of static field " + owner + "." + name + ": kernels may only read static final primitive constants",
                    "make it static final, or pass the value as a (@Constant) kernel parameter");
        }
        try {
            field.setAccessible(true);
            Object v = field.get(null);
            return switch (v) {
                case Integer i -> Imm.ofInt(i);
                case Short s -> Imm.ofInt(s);
                case Byte b -> Imm.ofInt(b);
                case Character ch -> Imm.ofInt(ch);
                case Boolean b -> Imm.ofInt(b ? 1 : 0);
                case Long l -> Imm.ofLong(l);
                case Float f -> Imm.ofFloat(f);
                case Double d -> Imm.ofDouble(d);
                default -> throw new IllegalStateException("unexpected constant " + v);
            };
        } catch (IllegalAccessException | RuntimeException e) {
            throw in.error("static field " + owner + "." + name + " cannot be read (" + e + ")", "use a literal constant");
        }
    }

    // ---- static calls --------------------------------------------------------------------------

    /**
     * True if the call was an intrinsic (and has been interpreted); false if the callee is to be
     * inlined. Fails closed on {@link org.apbj.kernels.api.IntrinsicClass} classes: a method
     * that is neither lowered here nor a registered plain helper is a compile error.
     */
    static boolean staticCall(Interpreter in, String owner, String name, MethodTypeDesc desc) {
        String sig = name + desc.descriptorString();
        boolean ptx = in.lifter().target().kind() == Target.Kind.PTX;
        boolean lowered = switch (owner) {
            case API + "KernelMath" -> kernelMath(in, sig);
            case "java.lang.Math", "java.lang.StrictMath" -> javaMath(in, sig);
            case "java.lang.Float" -> floatBits(in, sig);
            case "java.lang.Double" -> doubleBits(in, sig);
            case API + "TensorCore" -> tensorCore(in, sig);
            case API + "AsyncCopy" -> ptx && asyncCopy(in, sig);
            case API + "WarpGroup" -> ptx && warpGroup(in, sig);
            case API + "Mbarrier" -> mbarrier(in, sig, ptx);
            case API + "NamedBarrier" -> namedBarrier(in, sig, ptx);
            case API + "BulkCopy" -> bulkCopy(in, sig, ptx);
            case API + "WideLoad" -> wideLoad(in, sig);
            default -> false;
        };
        if (lowered) return true;
        if (isIntrinsicClass(in, owner) && !PLAIN_HELPERS.getOrDefault(owner + (ptx ? "" : "/portable"), Set.of()).contains(sig)
                && !PLAIN_HELPERS.getOrDefault(owner, Set.of()).contains(sig)) {
            String simple = owner.substring(owner.lastIndexOf('.') + 1);
            throw in.error(simple + "." + sig + " is not an intrinsic the compiler knows (" + simple
                    + " is an intrinsic class, whose methods are lowered by the compiler, never inlined unknown)",
                    "call one of " + simple + "'s documented methods, or register the new one in the compiler's intrinsic registry"
                    + " (Intrinsics) with its lowering");
        }
        return false;
    }

    private static final String CTX_DESC = "L" + CONTEXT.replace('.', '/') + ";";

    /** WarpGroup.mmaBf16RegA's signature (A from registers, B by rows of k). */
    private static final String MMA_REG_A = "mmaBf16RegA(" + CTX_DESC + "[FII[II[IIIZ)V";

    /** AsyncCopy's 4- and 8-byte copies (cp.async.ca): bf16 pairs into shared ints, fp32 into shared floats. */
    private record SmallCopy(String name, int bytes, String dstDesc, String srcArray, ElemType dstElem) {
        String signature() { return name + "(" + CTX_DESC + dstDesc + "IL" + API.replace('.', '/') + srcArray + ";IZ)V"; }
    }

    private static final java.util.List<SmallCopy> SMALL_COPIES = java.util.List.of(
            new SmallCopy("copy4", 4, "[I", "BF16Array", ElemType.I32),
            new SmallCopy("copy8", 8, "[I", "BF16Array", ElemType.I32),
            new SmallCopy("copy4", 4, "[F", "F32Array", ElemType.F32),
            new SmallCopy("copy8", 8, "[F", "F32Array", ElemType.F32));

    /**
     * Methods of intrinsic classes that are inlined from their Java bodies: helpers made of
     * ordinary arithmetic (by class), and, under "class/portable", intrinsics whose Java body is
     * the lowering on targets other than PTX.
     */
    private static final java.util.Map<String, Set<String>> PLAIN_HELPERS = java.util.Map.of(
            API + "KernelMath", Set.of("silu(F)F"),
            API + "TensorCore", Set.of("halfOf(II)F", "fragmentOffset(" + CTX_DESC + "I)I", "matrixOffsetA(" + CTX_DESC + "I)I",
                    "matrixOffsetB(" + CTX_DESC + "I)I", "loadA([I[III)V", "loadB([I[II)V"),
            API + "WarpGroup", Set.of("swizzled(III)I", "element([IIII)F", "index(" + CTX_DESC + ")I"),
            API + "WarpGroup/portable", Set.of("mmaBf16(" + CTX_DESC + "[FII[II[IIZ)V", MMA_REG_A, "fence(" + CTX_DESC + ")V",
                    "setMaxRegisters(" + CTX_DESC + "IZ)V",
                    "commit(" + CTX_DESC + ")V", "waitPending(" + CTX_DESC + "I)V", "fenceAsyncProxy(" + CTX_DESC + ")V"),
            API + "AsyncCopy/portable", Set.of("copy16(" + CTX_DESC + "[IIL" + API.replace('.', '/') + "BF16Array;IZ)V",
                    SMALL_COPIES.get(0).signature(), SMALL_COPIES.get(1).signature(), SMALL_COPIES.get(2).signature(),
                    SMALL_COPIES.get(3).signature(), "commit(" + CTX_DESC + ")V", "waitPending(" + CTX_DESC + "I)V"));

    private static final java.util.Map<String, Boolean> INTRINSIC_CLASSES = new java.util.concurrent.ConcurrentHashMap<>();

    private static boolean isIntrinsicClass(Interpreter in, String owner) {
        return INTRINSIC_CLASSES.computeIfAbsent(owner, o -> {
            try {
                return Class.forName(o, false, in.lifter().loader() != null ? in.lifter().loader() : ClassLoader.getSystemClassLoader())
                        .isAnnotationPresent(org.apbj.kernels.api.IntrinsicClass.class);
            } catch (ClassNotFoundException | LinkageError e) {
                return false;   // MethodCode reports classes it cannot load when it tries to inline them
            }
        });
    }

    /**
     * TensorCore.mmaBf16 and loadMatrixX4 become one IR instruction each: mma and ldmatrix in
     * PTX (sm_80 and later), emulations through the group's exchange buffers in OpenCL. The fragments must
     * be private arrays: their elements are read and written with constant indices, so they
     * stay in registers. packBf16 is one instruction (cvt.rn.bf16x2.f32) in PTX. The other
     * TensorCore methods are plain Java and inlined everywhere.
     */
    private static boolean tensorCore(Interpreter in, String sig) {
        if (sig.equals("packBf16(FF)I")) {
            StackVal hi = in.pop(), lo = in.pop();
            Imm cl = Interpreter.constOf(lo), ch = Interpreter.constOf(hi);
            if (cl != null && ch != null) {
                in.pushConst(Imm.ofInt(org.apbj.kernels.api.TensorCore.packBf16(cl.floatValue(), ch.floatValue())));
                return true;
            }
            Reg dst = in.temp(Type.I32);
            in.emit(new Instr.PackBf16(dst, lo.op(), hi.op()));
            in.pushValue(Type.I32, dst);
            return true;
        }
        String ctx = "L" + CONTEXT.replace('.', '/') + ";";
        boolean withOffset = sig.equals("loadMatrixX4(" + ctx + "[II[II)V") || sig.equals("loadMatrixX4Trans(" + ctx + "[II[II)V");
        if (withOffset || sig.equals("loadMatrixX4(" + ctx + "[I[II)V")) {
            StackVal rowAt = in.pop(), tile = in.pop();
            int rAt = withOffset ? fragmentOffset(in, in.pop(), "rAt") : 0;
            StackVal r = in.pop();
            in.pop();
            if (!(tile.abs() instanceof AbsVal.Arr(ArrayRef.Shared shared)) || shared.elem() != ElemType.I32) {
                throw in.error("TensorCore.loadMatrixX4 reads a shared int array (ldmatrix reads shared memory)",
                        "stage the tile in ctx.allocateIntLocalArray(n)");
            }
            ArrayRef.Private out = fragment(in, r, "r", rAt + 4);
            in.fn().markWarpOps();
            if (!in.emitting()) return true;
            List<Reg> d = new ArrayList<>();
            for (int i = 0; i < 4; i++) d.add(in.temp(Type.I32));
            in.emit(new Instr.LoadMatrixX4(d, shared, rowAt.op(), sig.startsWith("loadMatrixX4Trans")));
            for (int i = 0; i < 4; i++) in.emit(new Instr.Store(out, Imm.ofInt(rAt + i), d.get(i)));
            return true;
        }
        boolean mmaAt = sig.equals("mmaBf16(" + ctx + "[FI[II[II)V");
        if (!mmaAt && !sig.equals("mmaBf16(" + ctx + "[F[I[I)V")) return false;
        Target target = in.lifter().target();
        if (target.kind() == Target.Kind.PTX && Integer.parseInt(target.arch().replaceAll("\\D", "")) < 80) {
            throw in.error("TensorCore.mmaBf16 needs bf16 tensor cores (sm_80 or later), the target is " + target.arch(),
                    "compile for sm_80 or later, or use the fp32 kernels on older GPUs");
        }
        int bAt = mmaAt ? fragmentOffset(in, in.pop(), "bAt") : 0;
        StackVal b = in.pop();
        int aAt = mmaAt ? fragmentOffset(in, in.pop(), "aAt") : 0;
        StackVal a = in.pop();
        int accAt = mmaAt ? fragmentOffset(in, in.pop(), "accAt") : 0;
        StackVal acc = in.pop();
        in.pop();
        ArrayRef.Private accArr = fragment(in, acc, "acc", accAt + 4), aArr = fragment(in, a, "a", aAt + 4),
                bArr = fragment(in, b, "b", bAt + 2);
        in.fn().markWarpOps();
        if (!in.emitting()) return true;
        List<Operand> av = fragmentValues(in, aArr, aAt, 4), bv = fragmentValues(in, bArr, bAt, 2),
                cv = fragmentValues(in, accArr, accAt, 4);
        List<Reg> d = new ArrayList<>();
        for (int i = 0; i < 4; i++) d.add(in.temp(Type.F32));
        in.emit(new Instr.MmaBf16(d, av, bv, cv));
        for (int i = 0; i < 4; i++) in.emit(new Instr.Store(accArr, Imm.ofInt(accAt + i), d.get(i)));
        return true;
    }

    /**
     * WideLoad.load2 / load4: one 16-byte load of a device-array parameter (two longs, four
     * floats) into a private array at a constant offset; PTX ld.global.nc.v2/v4, OpenCL vload2/4.
     */
    private static boolean wideLoad(Interpreter in, String sig) {
        String i64 = "load2([JIL" + API.replace('.', '/') + "I64Array;I)V";
        String f32 = "load4([FIL" + API.replace('.', '/') + "F32Array;I)V";
        if (!sig.equals(i64) && !sig.equals(f32)) return false;
        boolean longs = sig.equals(i64);
        ElemType elem = longs ? ElemType.I64 : ElemType.F32;
        int count = longs ? 2 : 4;
        String what = "WideLoad." + (longs ? "load2" : "load4");
        StackVal index = in.pop(), src = in.pop(), dstAtVal = in.pop(), dst = in.pop();
        Imm dstAt = Interpreter.constOf(dstAtVal);
        if (dstAt == null || dstAt.intValue() < 0) {
            throw in.error(what + ": dstAt is not a compile-time constant",
                    "use a literal, or a loop variable of an @Unroll method, so the destination stays in registers");
        }
        if (!(dst.abs() instanceof AbsVal.Arr(ArrayRef.Private p)) || p.elem() != elem || p.length() < dstAt.intValue() + count) {
            throw in.error(what + " writes " + count + " elements of a private " + (longs ? "long" : "float")
                    + " array from dstAt " + dstAt.intValue(), "declare it in the kernel as new " + (longs ? "long" : "float")
                    + "[n] with n >= dstAt + " + count);
        }
        if (!(src.abs() instanceof AbsVal.Arr(ArrayRef.Global global)) || global.elem() != elem) {
            throw in.error(what + " reads a device-array parameter", "pass one of the kernel's " + (longs ? "I64Array" : "F32Array")
                    + " parameters");
        }
        Imm constIndex = Interpreter.constOf(index);
        if (constIndex != null && constIndex.intValue() % count != 0) {
            throw in.error(what + ": index " + constIndex.intValue() + " is not a multiple of " + count
                    + " (16-byte loads must be 16-byte aligned)", "round the index down to a multiple of " + count);
        }
        if (!in.emitting()) return true;
        Type t = longs ? Type.I64 : Type.F32;
        List<Reg> d = new ArrayList<>();
        for (int i = 0; i < count; i++) d.add(in.temp(t));
        in.emit(new Instr.LoadWide(d, global, index.op()));
        for (int i = 0; i < count; i++) in.emit(new Instr.Store(p, Imm.ofInt(dstAt.intValue() + i), d.get(i)));
        return true;
    }

    /** A fragment's offset in its private array: must be known at compile time (so the array stays in registers). */
    private static int fragmentOffset(Interpreter in, StackVal v, String name) {
        Imm c = Interpreter.constOf(v);
        if (c == null || c.intValue() < 0) {
            throw in.error("TensorCore: fragment offset '" + name + "' is not a compile-time constant",
                    "use literals, or loop variables of an @Unroll method, so the fragments stay in registers");
        }
        return c.intValue();
    }

    /**
     * AsyncCopy on PTX: cp.async.cg (16 bytes) and cp.async.ca (4 and 8 bytes), each with
     * zero-fill, commit_group and wait_group. Other
     * targets compile the Java bodies (a plain copy; commit and wait do nothing).
     */
    private static boolean asyncCopy(Interpreter in, String sig) {
        String ctx = "L" + CONTEXT.replace('.', '/') + ";";
        Target target = in.lifter().target();
        if (Integer.parseInt(target.arch().replaceAll("\\D", "")) < 80) {
            throw in.error("AsyncCopy needs cp.async (sm_80 or later), the target is " + target.arch(),
                    "compile for sm_80 or later");
        }
        switch (sig) {
            case String s when s.equals("copy16(" + ctx + "[IIL" + API.replace('.', '/') + "BF16Array;IZ)V") -> {
                StackVal inBounds = in.pop(), srcAt = in.pop(), src = in.pop(), dstAt = in.pop(), dst = in.pop();
                in.pop();
                if (!(dst.abs() instanceof AbsVal.Arr(ArrayRef.Shared shared)) || shared.elem() != ElemType.I32) {
                    throw in.error("AsyncCopy.copy16 writes a shared int array (cp.async copies into shared memory)",
                            "pass an array from ctx.allocateIntLocalArray(n)");
                }
                if (!(src.abs() instanceof AbsVal.Arr(ArrayRef.Global global))) {
                    throw in.error("AsyncCopy.copy16 reads a device-array parameter", "pass one of the kernel's BF16Array parameters");
                }
                if (!in.emitting()) return true;
                in.emit(new Instr.AsyncCopy16(shared, dstAt.op(), global, srcAt.op(), operandOf(in, inBounds)));
                return true;
            }
            case String s when SMALL_COPIES.stream().anyMatch(c -> c.signature().equals(s)) -> {
                SmallCopy copy = SMALL_COPIES.stream().filter(c -> c.signature().equals(s)).findFirst().orElseThrow();
                StackVal inBounds = in.pop(), srcAt = in.pop(), src = in.pop(), dstAt = in.pop(), dst = in.pop();
                in.pop();
                String what = "AsyncCopy." + copy.name() + " of " + copy.srcArray();
                String dstKind = copy.dstElem() == ElemType.I32 ? "int" : "float";
                if (!(dst.abs() instanceof AbsVal.Arr(ArrayRef.Shared shared)) || shared.elem() != copy.dstElem()) {
                    throw in.error(what + " writes a shared " + dstKind + " array (cp.async copies into shared memory)",
                            "pass an array from ctx.allocate" + (copy.dstElem() == ElemType.I32 ? "Int" : "Float") + "LocalArray(n)");
                }
                if (!(src.abs() instanceof AbsVal.Arr(ArrayRef.Global global))) {
                    throw in.error(what + " reads a device-array parameter", "pass one of the kernel's " + copy.srcArray() + " parameters");
                }
                if (!in.emitting()) return true;
                in.emit(new Instr.AsyncCopyCa(copy.bytes(), shared, dstAt.op(), global, srcAt.op(), operandOf(in, inBounds)));
                return true;
            }
            case String s when s.equals("commit(" + ctx + ")V") -> {
                in.pop();
                in.emit(new Instr.AsyncCommit());
                return true;
            }
            case String s when s.equals("waitPending(" + ctx + "I)V") -> {
                StackVal n = in.pop();
                in.pop();
                Imm c = Interpreter.constOf(n);
                if (c == null || c.intValue() < 0 || c.intValue() > 7) {
                    throw in.error("AsyncCopy.waitPending needs a compile-time constant count of pending groups in 0..7",
                            "pass a literal or a static final constant");
                }
                in.emit(new Instr.AsyncWait(c.intValue()));
                return true;
            }
            default -> throw in.error("AsyncCopy." + sig + " is not a known intrinsic", "use copy4, copy8, copy16, commit or waitPending");
        }
    }

    /** Fails the compile when the target lacks a feature the intrinsic needs. */
    static void require(Interpreter in, Feature f, String what) {
        Target target = in.lifter().target();
        if (!target.supports(f)) {
            throw in.error(what + " needs " + f + " (" + f.requirement() + "), the target is " + target,
                    "compile this kernel only for " + f.requirement() + " devices and pick another kernel elsewhere");
        }
    }

    /**
     * WarpGroup on PTX: wgmma.mma_async on shared-memory descriptors, its fence, commit and wait,
     * and fence.proxy.async. Other targets compile the Java bodies.
     */
    private static boolean warpGroup(Interpreter in, String sig) {
        switch (sig) {
            case String s when s.equals("mmaBf16(" + CTX_DESC + "[FII[II[IIZ)V") -> {
                require(in, Feature.WGMMA, "WarpGroup.mmaBf16");
                StackVal accumulate = in.pop(), bAt = in.pop(), b = in.pop(), aAt = in.pop(), a = in.pop();
                StackVal nVal = in.pop(), accAtVal = in.pop(), acc = in.pop();
                in.pop();
                Imm n = productWidth(in, nVal, "WarpGroup.mmaBf16");
                int accAt = fragmentOffset(in, accAtVal, "accAt");
                ArrayRef.Private accArr = accumulators(in, acc, accAt, n.intValue(), "WarpGroup.mmaBf16");
                ArrayRef.Shared aTile = sharedInts(in, a, "A"), bTile = sharedInts(in, b, "B");
                in.fn().markWarpOps();
                in.fn().markSwizzledShared();
                if (!in.emitting()) return true;
                Operand acc1 = operandOf(in, accumulate);
                in.emit(new Instr.WarpGroupMma(accArr, accAt, n.intValue(), List.of(), aTile, aAt.op(), bTile, bAt.op(), acc1));
                return true;
            }
            case String s when s.equals(MMA_REG_A) -> mmaRegA(in);
            case String s when s.equals("fence(" + CTX_DESC + ")V") -> sync(in, Feature.WGMMA, Instr.SyncKind.FENCE, 0);
            case String s when s.equals("commit(" + CTX_DESC + ")V") -> sync(in, Feature.WGMMA, Instr.SyncKind.COMMIT, 0);
            case String s when s.equals("fenceAsyncProxy(" + CTX_DESC + ")V") ->
                    sync(in, Feature.ASYNC_PROXY_FENCE, Instr.SyncKind.ASYNC_PROXY_FENCE, 0);
            case String s when s.equals("setMaxRegisters(" + CTX_DESC + "IZ)V") -> {
                require(in, Feature.SETMAXNREG, "WarpGroup.setMaxRegisters");
                StackVal inc = in.pop(), count = in.pop();
                in.pop();
                Imm c = Interpreter.constOf(count), i = Interpreter.constOf(inc);
                if (c == null || i == null || c.intValue() < 24 || c.intValue() > 256 || c.intValue() % 8 != 0) {
                    throw in.error("WarpGroup.setMaxRegisters needs compile-time constants: a count that is a multiple of 8"
                            + " in 24..256 and the direction", "pass literals or static final constants");
                }
                in.emit(new Instr.SetMaxRegisters(c.intValue(), i.intValue() != 0));
            }
            case String s when s.equals("waitPending(" + CTX_DESC + "I)V") -> {
                StackVal nv = in.pop();
                Imm c = Interpreter.constOf(nv);
                if (c == null || c.intValue() < 0 || c.intValue() > 7) {
                    throw in.error("WarpGroup.waitPending needs a compile-time constant count of pending groups in 0..7",
                            "pass a literal or a static final constant");
                }
                sync(in, Feature.WGMMA, Instr.SyncKind.WAIT, c.intValue());
            }
            default -> { return false; }
        }
        return true;
    }

    /**
     * WarpGroup.mmaBf16RegA: wgmma with A from a private int array (four registers at a constant
     * offset) and B by rows of k from a shared int array, column blocks a constant stride apart.
     */
    private static void mmaRegA(Interpreter in) {
        require(in, Feature.WGMMA, "WarpGroup.mmaBf16RegA");
        StackVal accumulate = in.pop(), blockVal = in.pop(), bAt = in.pop(), b = in.pop(), aAtVal = in.pop(), a = in.pop();
        StackVal nVal = in.pop(), accAtVal = in.pop(), acc = in.pop();
        in.pop();
        Imm n = productWidth(in, nVal, "WarpGroup.mmaBf16RegA");
        Imm block = Interpreter.constOf(blockVal);
        if (block == null || block.intValue() < 0 || block.intValue() % org.apbj.kernels.api.WarpGroup.ATOM_INTS != 0
                || block.intValue() >= 1 << 16) {
            throw in.error("WarpGroup.mmaBf16RegA: bBlockInts must be a compile-time constant multiple of "
                    + org.apbj.kernels.api.WarpGroup.ATOM_INTS + " below 65536 (it is encoded in the descriptor)",
                    "pass a static final constant, e.g. the rows of the tile times WarpGroup.ROW_INTS");
        }
        int accAt = fragmentOffset(in, accAtVal, "accAt");
        ArrayRef.Private accArr = accumulators(in, acc, accAt, n.intValue(), "WarpGroup.mmaBf16RegA");
        int aAt = fragmentOffset(in, aAtVal, "aAt");
        ArrayRef.Private aArr = fragment(in, a, "a", aAt + 4);
        ArrayRef.Shared bTile = sharedInts(in, b, "B");
        in.fn().markWarpOps();
        in.fn().markSwizzledShared();
        if (!in.emitting()) return;
        List<Operand> av = fragmentValues(in, aArr, aAt, 4);
        Operand acc1 = operandOf(in, accumulate);
        in.emit(new Instr.WarpGroupMmaRegA(accArr, accAt, n.intValue(), List.of(), av, bTile, bAt.op(), 4 * block.intValue(), acc1));
    }

    /**
     * Mbarrier on PTX: init, arrive, cp.async arrive and the parity wait on a word of a shared long
     * array. Not for OpenCL, where work-items cannot wait for one another outside barriers.
     */
    private static boolean mbarrier(Interpreter in, String sig, boolean ptx) {
        if (!ptx) {
            throw in.error("Mbarrier." + sig + " cannot run on OpenCL (work-items there cannot wait for one another"
                    + " outside barriers)", "run this kernel on the Java device or an sm_90 GPU, and give OpenCL a"
                    + " kernel without producer/consumer hand-offs");
        }
        String arrays = "[JI";
        Instr.MbarrierOp op = switch (sig) {
            case String s when s.equals("init(" + CTX_DESC + arrays + "I)V") -> Instr.MbarrierOp.INIT;
            case String s when s.equals("arrive(" + CTX_DESC + arrays + ")V") -> Instr.MbarrierOp.ARRIVE;
            case String s when s.equals("arriveAfterCopies(" + CTX_DESC + arrays + ")V") -> Instr.MbarrierOp.ARRIVE_AFTER_COPIES;
            case String s when s.equals("arriveExpectTx(" + CTX_DESC + arrays + "I)V") -> Instr.MbarrierOp.ARRIVE_EXPECT_TX;
            case String s when s.equals("waitParity(" + CTX_DESC + arrays + "I)V") -> Instr.MbarrierOp.WAIT_PARITY;
            default -> null;
        };
        if (op == null) return false;
        require(in, op == Instr.MbarrierOp.ARRIVE_EXPECT_TX ? Feature.MBARRIER_TX : Feature.MBARRIER,
                "Mbarrier." + op.name().toLowerCase(java.util.Locale.ROOT));
        StackVal value = op == Instr.MbarrierOp.ARRIVE || op == Instr.MbarrierOp.ARRIVE_AFTER_COPIES ? null : in.pop();
        StackVal at = in.pop(), bars = in.pop();
        in.pop();
        if (!(bars.abs() instanceof AbsVal.Arr(ArrayRef.Shared shared)) || shared.elem() != ElemType.I64) {
            throw in.error("Mbarrier: the barriers must be words of a shared long array",
                    "allocate them with ctx.allocateLongLocalArray(n)");
        }
        in.fn().markBarriers();
        if (!in.emitting()) return true;
        in.emit(new Instr.Mbarrier(op, shared, at.op(), value != null ? value.op() : Imm.ofInt(0)));
        return true;
    }

    /**
     * NamedBarrier on PTX: bar.sync / bar.arrive with a constant id (1..15; 0 is the group's
     * barrier) and a constant thread count (a positive multiple of 32). Not for OpenCL.
     */
    private static boolean namedBarrier(Interpreter in, String sig, boolean ptx) {
        boolean waits = sig.equals("sync(" + CTX_DESC + "II)V");
        if (!waits && !sig.equals("arrive(" + CTX_DESC + "II)V")) return false;
        String what = "NamedBarrier." + (waits ? "sync" : "arrive");
        if (!ptx) {
            throw in.error(what + " cannot run on OpenCL (PoCL has no barrier among a subset of a group's work-items)",
                    "give OpenCL a kernel that synchronises with ctx.localBarrier(), or run this one on the Java device"
                    + " or a CUDA GPU");
        }
        require(in, Feature.NAMED_BARRIER, what);
        StackVal threadsVal = in.pop(), idVal = in.pop();
        in.pop();
        Imm id = Interpreter.constOf(idVal), threads = Interpreter.constOf(threadsVal);
        if (id == null || id.intValue() < 1 || id.intValue() > 15) {
            throw in.error(what + ": the barrier id must be a compile-time constant in 1..15 (0 is ctx.localBarrier's)",
                    "pass a literal or a static final constant");
        }
        if (threads == null || threads.intValue() <= 0 || threads.intValue() % 32 != 0 || threads.intValue() > 1024) {
            throw in.error(what + ": the thread count must be a compile-time constant multiple of 32 in 32..1024"
                    + " (whole warps take part)", "pass a literal or a static final constant, e.g. 128 for one warpgroup");
        }
        in.fn().markBarriers();
        if (!in.emitting()) return true;
        in.emit(new Instr.NamedBarrier(id.intValue(), threads.intValue(), waits));
        return true;
    }

    /**
     * BulkCopy on PTX: load2d/load3d (one cp.async.bulk.tensor of a box of a TensorMap kernel
     * parameter into a shared int array, completing on a word of a shared long array), store2d
     * (shared to the tensor, in a bulk group), commit and waitPending of the bulk groups.
     * Destinations are aligned as a 128-byte-swizzled tile may need (1024 bytes).
     */
    private static boolean bulkCopy(Interpreter in, String sig, boolean ptx) {
        String map = "L" + API.replace('.', '/') + "TensorMap;";
        int loadRank = sig.equals("load2d(" + CTX_DESC + "[II" + map + "II[JI)V") ? 2
                : sig.equals("load3d(" + CTX_DESC + "[II" + map + "III[JI)V") ? 3 : 0;
        boolean store = sig.equals("store2d(" + CTX_DESC + "[II" + map + "II)V");
        boolean commit = sig.equals("commit(" + CTX_DESC + ")V"), wait = sig.equals("waitPending(" + CTX_DESC + "I)V");
        if (loadRank == 0 && !store && !commit && !wait) return false;
        String what = "BulkCopy." + sig.substring(0, sig.indexOf('('));
        if (!ptx) {
            throw in.error(what + " cannot run on OpenCL (it needs the tensor memory accelerator of sm_90)",
                    "run this kernel on the Java device or a Hopper GPU");
        }
        require(in, Feature.BULK_TENSOR, what);
        if (commit || wait) {
            int pending = 0;
            if (wait) {
                Imm n = Interpreter.constOf(in.pop());
                if (n == null || n.intValue() < 0 || n.intValue() > 63) {
                    throw in.error(what + ": the number of groups left pending must be a compile-time constant in 0..63",
                            "pass a literal or a static final constant");
                }
                pending = n.intValue();
            }
            in.pop();
            if (in.emitting()) in.emit(new Instr.BulkGroup(wait, pending));
            return true;
        }
        StackVal barAt = null, bars = null;
        if (!store) {
            barAt = in.pop();
            bars = in.pop();
        }
        List<Operand> coords = new java.util.ArrayList<>();
        int rank = store ? 2 : loadRank;
        StackVal[] c = new StackVal[rank];
        for (int i = rank - 1; i >= 0; i--) c[i] = in.pop();
        StackVal mapVal = in.pop(), smemAt = in.pop(), smem = in.pop();
        in.pop();
        if (!(mapVal.abs() instanceof AbsVal.MapParam(String mapName))) {
            throw in.error(what + ": the tensor map must be one of the kernel's TensorMap parameters",
                    "pass the TensorMap parameter itself (maps are built on the host)");
        }
        ArrayRef.Shared tile = sharedInts(in, smem, store ? "the source" : "the destination");
        ArrayRef.Shared barArray = null;
        if (!store && (!(bars.abs() instanceof AbsVal.Arr(ArrayRef.Shared b)) || (barArray = b).elem() != ElemType.I64)) {
            throw in.error(what + ": the barriers must be words of a shared long array",
                    "allocate them with ctx.allocateLongLocalArray(n)");
        }
        in.fn().markSwizzledShared();
        in.fn().markBarriers();
        if (!in.emitting()) return true;
        for (StackVal v : c) coords.add(v.op());
        if (store) in.emit(new Instr.BulkTensorStore(mapName, tile, smemAt.op(), coords));
        else in.emit(new Instr.BulkTensorLoad(mapName, tile, smemAt.op(), coords, barArray, barAt.op()));
        return true;
    }

    /** The N of a warpgroup product: a compile-time constant, a multiple of 8 from 8 to 256. */
    private static Imm productWidth(Interpreter in, StackVal nVal, String what) {
        Imm n = Interpreter.constOf(nVal);
        if (n == null || n.intValue() < 8 || n.intValue() > 256 || n.intValue() % 8 != 0) {
            throw in.error(what + ": n must be a compile-time constant, a multiple of 8 from 8 to 256",
                    "pass a literal or a static final constant");
        }
        return n;
    }

    /** A warpgroup product's accumulators: n / 2 elements of a private float array from accAt. */
    private static ArrayRef.Private accumulators(Interpreter in, StackVal acc, int accAt, int n, String what) {
        if (!(acc.abs() instanceof AbsVal.Arr(ArrayRef.Private accArr)) || accArr.elem() != ElemType.F32) {
            throw in.error(what + ": the accumulators must be a private float array of this work-item",
                    "declare it in the kernel as new float[n / 2]");
        }
        if (accArr.length() < accAt + n / 2) {
            throw in.error(what + ": the accumulator array has " + accArr.length() + " elements, needs " + (accAt + n / 2),
                    "declare it as new float[" + (accAt + n / 2) + "]");
        }
        return accArr;
    }

    private static void sync(Interpreter in, Feature f, Instr.SyncKind kind, int pending) {
        require(in, f, "WarpGroup." + kind.name().toLowerCase(java.util.Locale.ROOT));
        in.pop();
        in.emit(new Instr.WarpGroupSync(kind, pending));
    }

    private static ArrayRef.Shared sharedInts(Interpreter in, StackVal v, String name) {
        if (!(v.abs() instanceof AbsVal.Arr(ArrayRef.Shared shared)) || shared.elem() != ElemType.I32) {
            throw in.error("WarpGroup.mmaBf16 reads " + name + " from a shared int array (wgmma reads shared memory)",
                    "stage the tile in ctx.allocateIntLocalArray(n)");
        }
        return shared;
    }

    /** A boolean argument as a predicate operand. */
    private static Operand operandOf(Interpreter in, StackVal v) {
        Imm c = Interpreter.constOf(v);
        if (c != null) return new Imm(Type.PRED, c.intValue() != 0 ? 1L : 0L);
        Reg p = in.temp(Type.PRED);
        in.emit(new Instr.Compare(Instr.CmpOp.NE, false, p, v.op(), Imm.ofInt(0)));
        return p;
    }

    private static ArrayRef.Private fragment(Interpreter in, StackVal v, String name, int length) {
        ElemType want = name.equals("acc") ? ElemType.F32 : ElemType.I32;
        if (!(v.abs() instanceof AbsVal.Arr(ArrayRef.Private p)) || p.elem() != want) {
            throw in.error("TensorCore: fragment '" + name + "' must be a private " + (want == ElemType.F32 ? "float" : "int")
                    + " array of this work-item", "declare it in the kernel as new " + (want == ElemType.F32 ? "float" : "int")
                    + "[" + length + "]");
        }
        if (p.length() < length) {
            throw in.error("TensorCore: fragment '" + name + "' has " + p.length() + " elements, needs " + length,
                    "declare it as new " + (want == ElemType.F32 ? "float" : "int") + "[" + length + "]");
        }
        return p;
    }

    private static List<Operand> fragmentValues(Interpreter in, ArrayRef.Private arr, int at, int n) {
        List<Operand> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Reg r = in.temp(arr.elem().regType);
            in.emit(new Instr.Load(r, arr, Imm.ofInt(at + i)));
            out.add(r);
        }
        return out;
    }

    private static boolean kernelMath(Interpreter in, String sig) {
        switch (sig) {
            case "exp(F)F" -> in.unary(UnOp.EXP, Type.F32, in.pop());
            case "log(F)F" -> in.unary(UnOp.LOG, Type.F32, in.pop());
            case "sqrt(F)F" -> in.unary(UnOp.SQRT, Type.F32, in.pop());
            case "rsqrt(F)F" -> in.unary(UnOp.RSQRT, Type.F32, in.pop());
            case "tanh(F)F" -> in.unary(UnOp.TANH, Type.F32, in.pop());
            case "exp2Approx(F)F" -> in.unary(UnOp.EXP2_APPROX, Type.F32, in.pop());
            case "floor(F)F" -> in.unary(UnOp.FLOOR, Type.F32, in.pop());
            case "ceil(F)F" -> in.unary(UnOp.CEIL, Type.F32, in.pop());
            case "abs(F)F" -> in.unary(UnOp.ABS, Type.F32, in.pop());
            case "abs(I)I" -> in.unary(UnOp.ABS, Type.I32, in.pop());
            case "pow(FF)F" -> binary(in, BinOp.POW, Type.F32);
            case "min(FF)F" -> binary(in, BinOp.MIN, Type.F32);
            case "max(FF)F" -> binary(in, BinOp.MAX, Type.F32);
            case "maxNum(FF)F" -> binary(in, BinOp.MAX_NUM, Type.F32);
            case "min(II)I" -> binary(in, BinOp.MIN, Type.I32);
            case "max(II)I" -> binary(in, BinOp.MAX, Type.I32);
            case "fma(FFF)F" -> fma(in, Type.F32);
            case "bf16ToFloat(S)F" -> in.convert(ConvOp.BF16_TO_F32, Type.F32, in.pop());
            case "floatToBf16(F)S" -> in.convert(ConvOp.F32_TO_BF16, Type.I32, in.pop());
            case "halfToFloat(S)F" -> in.convert(ConvOp.F16_TO_F32, Type.F32, in.pop());
            case "floatToHalf(F)S" -> in.convert(ConvOp.F32_TO_F16, Type.I32, in.pop());
            default -> { return false; }   // e.g. silu: inlined from its Java body
        }
        return true;
    }

    private static boolean javaMath(Interpreter in, String sig) {
        switch (sig) {
            case "abs(I)I" -> in.unary(UnOp.ABS, Type.I32, in.pop());
            case "abs(J)J" -> in.unary(UnOp.ABS, Type.I64, in.pop());
            case "abs(F)F" -> in.unary(UnOp.ABS, Type.F32, in.pop());
            case "abs(D)D" -> in.unary(UnOp.ABS, Type.F64, in.pop());
            case "min(II)I" -> binary(in, BinOp.MIN, Type.I32);
            case "max(II)I" -> binary(in, BinOp.MAX, Type.I32);
            case "min(JJ)J" -> binary(in, BinOp.MIN, Type.I64);
            case "max(JJ)J" -> binary(in, BinOp.MAX, Type.I64);
            case "min(FF)F" -> binary(in, BinOp.MIN, Type.F32);
            case "max(FF)F" -> binary(in, BinOp.MAX, Type.F32);
            case "min(DD)D" -> binary(in, BinOp.MIN, Type.F64);
            case "max(DD)D" -> binary(in, BinOp.MAX, Type.F64);
            case "fma(FFF)F" -> fma(in, Type.F32);
            case "fma(DDD)D" -> fma(in, Type.F64);
            case "sqrt(D)D" -> doubleFunction(in, UnOp.SQRT, false);
            case "floor(D)D" -> doubleFunction(in, UnOp.FLOOR, false);
            case "ceil(D)D" -> doubleFunction(in, UnOp.CEIL, false);
            case "exp(D)D" -> doubleFunction(in, UnOp.EXP, true);
            case "log(D)D" -> doubleFunction(in, UnOp.LOG, true);
            case "tanh(D)D" -> doubleFunction(in, UnOp.TANH, true);
            case "pow(DD)D" -> doublePow(in);
            default -> { return false; }
        }
        return true;
    }

    /**
     * Math.f(double). When the argument is a widened float and the result is narrowed right
     * back ({@code (float) Math.exp(x)}), the float version is used, as KernelMath does.
     */
    private static void doubleFunction(Interpreter in, UnOp op, boolean transcendental) {
        StackVal arg = in.peek(0);
        if (arg.widenedFrom() != null && in.nextInBlock() instanceof ConvertInstruction c
                && c.opcode() == java.lang.classfile.Opcode.D2F) {
            in.pop();
            in.skipNext();
            in.unary(op, Type.F32, arg.widenedFrom());
            return;
        }
        if (transcendental) requireDoubleMath(in, op.name().toLowerCase());
        in.unary(op, Type.F64, in.pop());
    }

    private static void doublePow(Interpreter in) {
        StackVal y = in.peek(0), x = in.peek(1);
        if (x.widenedFrom() != null && y.widenedFrom() != null && in.nextInBlock() instanceof ConvertInstruction c
                && c.opcode() == java.lang.classfile.Opcode.D2F) {
            in.pop();
            in.pop();
            in.skipNext();
            in.binary(BinOp.POW, Type.F32, x.widenedFrom(), y.widenedFrom());
            return;
        }
        requireDoubleMath(in, "pow");
        binary(in, BinOp.POW, Type.F64);
    }

    private static void requireDoubleMath(Interpreter in, String fn) {
        if (in.lifter().target().kind() == Target.Kind.PTX) {
            throw in.error("double-precision Math." + fn + " is not implemented for PTX (only sqrt, abs, min, max, floor, ceil, fma are)",
                    "compute in float: (float) Math." + fn + "(floatValue) or KernelMath." + fn);
        }
    }

    private static boolean floatBits(Interpreter in, String sig) {
        switch (sig) {
            case "floatToRawIntBits(F)I" -> bits(in, ConvOp.F_BITS, Type.I32);
            case "intBitsToFloat(I)F" -> bits(in, ConvOp.BITS_F, Type.F32);
            case "floatToIntBits(F)I" -> {
                // Like the raw bits, but every NaN becomes the canonical 0x7fc00000.
                StackVal v = in.pop();
                Imm c = Interpreter.constOf(v);
                if (c != null) { in.pushConst(Imm.ofInt(Float.floatToIntBits(c.floatValue()))); return true; }
                Reg raw = in.temp(Type.I32), nan = in.temp(Type.PRED), out = in.temp(Type.I32);
                in.emit(new Instr.Convert(ConvOp.F_BITS, raw, v.op()));
                in.emit(new Instr.Compare(CmpOp.NE, true, nan, v.op(), v.op()));
                in.emit(new Instr.Select(out, nan, Imm.ofInt(0x7fc00000), raw));
                in.pushValue(Type.I32, out);
            }
            case "isNaN(F)Z" -> {
                StackVal v = in.pop();
                Imm c = Interpreter.constOf(v);
                if (c != null) { in.pushConst(Imm.ofInt(Float.isNaN(c.floatValue()) ? 1 : 0)); return true; }
                Reg nan = in.temp(Type.PRED), out = in.temp(Type.I32);
                in.emit(new Instr.Compare(CmpOp.NE, true, nan, v.op(), v.op()));
                in.emit(new Instr.Select(out, nan, Imm.ofInt(1), Imm.ofInt(0)));
                in.pushValue(Type.I32, out);
            }
            case "float16ToFloat(S)F" -> in.convert(ConvOp.F16_TO_F32, Type.F32, in.pop());
            case "floatToFloat16(F)S" -> in.convert(ConvOp.F32_TO_F16, Type.I32, in.pop());
            default -> { return false; }
        }
        return true;
    }

    private static boolean doubleBits(Interpreter in, String sig) {
        switch (sig) {
            case "doubleToRawLongBits(D)J" -> bits(in, ConvOp.F_BITS, Type.I64);
            case "longBitsToDouble(J)D" -> bits(in, ConvOp.BITS_F, Type.F64);
            default -> { return false; }
        }
        return true;
    }

    private static void bits(Interpreter in, ConvOp op, Type to) {
        StackVal v = in.pop();
        Imm c = Interpreter.constOf(v);
        if (c != null) { in.pushConst(ConstantFolder.convert(op, c)); return; }
        Reg dst = in.temp(to);
        in.emit(new Instr.Convert(op, dst, v.op()));
        in.pushValue(to, dst);
    }

    private static void binary(Interpreter in, BinOp op, Type t) {
        StackVal b = in.pop(), a = in.pop();
        in.binary(op, t, a, b);
    }

    private static void fma(Interpreter in, Type t) {
        StackVal c = in.pop(), b = in.pop(), a = in.pop();
        Reg dst = in.temp(t);
        in.emit(new Instr.Fma(dst, a.op(), b.op(), c.op()));
        in.pushValue(t, dst);
    }

    // ---- virtual calls: KernelContext and device arrays -----------------------------------------

    static boolean virtualCall(Interpreter in, String owner, String name, MethodTypeDesc desc) {
        if (owner.equals(CONTEXT)) return contextCall(in, name, desc);
        ElemType elem = switch (owner) {
            case API + "F32Array" -> ElemType.F32;
            case API + "BF16Array", API + "F16Array" -> ElemType.I16;
            case API + "I32Array" -> ElemType.I32;
            case API + "I8Array" -> ElemType.I8;
            case API + "I64Array" -> ElemType.I64;
            case API + "DeviceArray" -> ElemType.I8;
            default -> null;
        };
        if (elem == null) return false;
        arrayCall(in, owner, name, desc);
        return true;
    }

    private static void arrayCall(Interpreter in, String owner, String name, MethodTypeDesc desc) {
        int n = desc.parameterCount();
        StackVal[] args = new StackVal[n];
        for (int k = n - 1; k >= 0; k--) args[k] = in.pop();
        StackVal receiver = in.pop();
        if (!(receiver.abs() instanceof AbsVal.Arr(ArrayRef.Global g))) {
            throw in.error("device array not known at compile time", "use the kernel's array parameters directly");
        }
        String simple = owner.substring(owner.lastIndexOf('.') + 1);
        switch (name + "/" + n) {
            case "get/1" -> {
                Reg dst = in.temp(g.elem().regType);
                in.emit(new Instr.Load(dst, g, args[0].op()));
                in.pushValue(g.elem().regType, dst);
            }
            case "set/2" -> in.emit(new Instr.Store(g, args[0].op(), args[1].op()));
            case "getFloat/1" -> {
                Reg bits = in.temp(Type.I32);
                in.emit(new Instr.Load(bits, g, args[0].op()));
                ConvOp op = simple.equals("BF16Array") ? ConvOp.BF16_TO_F32 : ConvOp.F16_TO_F32;
                in.convert(op, Type.F32, new StackVal(new AbsVal.Prim(Type.I32, null), bits));
            }
            case "setFloat/2" -> {
                ConvOp op = simple.equals("BF16Array") ? ConvOp.F32_TO_BF16 : ConvOp.F32_TO_F16;
                in.convert(op, Type.I32, args[1]);
                StackVal bits = in.pop();
                in.emit(new Instr.Store(g, args[0].op(), bits.op()));
            }
            case "atomicAdd/2" -> {
                Type t = g.elem().regType;
                Reg dst = in.temp(t);
                in.emit(new Instr.AtomicAdd(dst, g, args[0].op(), args[1].op()));
                in.pushValue(t, dst);
            }
            case "length/0", "size/0" -> throw in.error(simple + "." + name + "(): device array lengths are not passed to compiled kernels",
                    "pass the length as an int (or @Constant) kernel parameter");
            default -> throw in.error(simple + "." + name + " cannot be called in a kernel",
                    "use get/set (and getFloat/setFloat, atomicAdd) with an int or long index");
        }
    }

    private static boolean contextCall(Interpreter in, String name, MethodTypeDesc desc) {
        String sig = name + desc.descriptorString();
        switch (sig) {
            case "localBarrier()V", "globalBarrier()V" -> {
                in.pop();
                in.fn().markBarriers();
                in.emit(new Instr.Barrier());
            }
            case "allocateFloatLocalArray(I)[F" -> sharedArray(in, ElemType.F32);
            case "allocateIntLocalArray(I)[I" -> sharedArray(in, ElemType.I32);
            case "allocateLongLocalArray(I)[J" -> sharedArray(in, ElemType.I64);
            case "allocateHalfLocalArray(I)[S", "allocateBFloat16LocalArray(I)[S" -> sharedArray(in, ElemType.I16);
            case "localLinearId()I" -> special(in, Special.LOCAL_LINEAR_ID);
            case "laneId()I" -> special(in, Special.LANE_ID);
            case "warpId()I" -> special(in, Special.WARP_ID);
            case "shuffleDown(FI)F", "shuffleDown(II)I" -> shuffle(in, ShuffleMode.DOWN);
            case "shuffleXor(FI)F", "shuffleXor(II)I" -> shuffle(in, ShuffleMode.XOR);
            case "broadcast(FI)F", "broadcast(II)I" -> shuffle(in, ShuffleMode.IDX);
            case "warpReduceSum(F)F", "warpReduceSum(I)I" -> warpReduce(in, BinOp.ADD);
            case "warpReduceMax(F)F", "warpReduceMax(I)I" -> warpReduce(in, BinOp.MAX);
            default -> throw in.error("KernelContext." + name + " cannot be used in a kernel",
                    "use the id/size fields, barriers, allocate*LocalArray, shuffles and warp reductions");
        }
        return true;
    }

    private static void special(Interpreter in, Special s) {
        in.pop();
        Reg dst = in.temp(Type.I32);
        in.emit(new Instr.ReadSpecial(s, dst));
        in.pushValue(Type.I32, dst);
    }

    private static void sharedArray(Interpreter in, ElemType elem) {
        StackVal count = in.pop();
        in.pop();
        Imm n = Interpreter.constOf(count);
        if (n == null) {
            throw in.error("shared array size is not a compile-time constant",
                    "use a literal, a static final constant, or a @Constant kernel parameter as the size");
        }
        if (n.intValue() <= 0) throw in.error("shared array size " + n.intValue() + " must be positive", "use a positive size");
        String name = in.nameOfNextStore("shared");
        ArrayRef a = in.instance().allocation(in.index, () -> new ArrayRef.Shared(in.fn().uniqueName(name), elem, n.intValue()));
        if (in.emitting()) in.fn().declare(a);
        in.fn().markBarriers();
        in.pushRef(new AbsVal.Arr(a));
    }

    private static void shuffle(Interpreter in, ShuffleMode mode) {
        StackVal lane = in.pop(), v = in.pop();
        in.pop();
        in.fn().markWarpOps();
        Type t = v.abs() instanceof AbsVal.Prim p ? p.type() : Type.I32;
        Reg dst = in.temp(t);
        in.emit(new Instr.Shuffle(mode, dst, v.op(), lane.op()));
        in.pushValue(t, dst);
    }

    /** The butterfly of KernelContext.warpReduce*: v = op(v, shuffleXor(v, m)) for m = 16, 8, 4, 2, 1. */
    private static void warpReduce(Interpreter in, BinOp op) {
        StackVal v = in.pop();
        in.pop();
        in.fn().markWarpOps();
        Type t = v.abs() instanceof AbsVal.Prim p ? p.type() : Type.I32;
        StackVal acc = v;
        for (int m = 16; m > 0; m >>= 1) {
            Reg other = in.temp(t);
            in.emit(new Instr.Shuffle(ShuffleMode.XOR, other, acc.op(), Imm.ofInt(m)));
            Reg next = in.temp(t);
            in.emit(new Instr.Binary(op, next, acc.op(), other));
            acc = new StackVal(new AbsVal.Prim(t, null), next);
        }
        in.push(acc);
    }
}
