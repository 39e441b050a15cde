package org.apbj.kernels.jit.ir;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A kernel lifted to the IR: a control-flow graph over typed virtual registers. The first
 * block is the entry. Register and array names are unique and valid PTX and C identifiers.
 */
public final class IrFunction {
    /** Names that would clash with PTX special registers or C keywords and built-ins. */
    private static final Set<String> RESERVED = Set.of(
            "tid", "ntid", "ctaid", "nctaid", "laneid", "warpid", "nwarpid", "smid", "nsmid", "gridid",
            "clock", "clock64", "pm0", "pm1", "pm2", "pm3", "envreg", "globaltimer", "lanemask_eq",
            "int", "long", "float", "double", "short", "char", "uint", "ulong", "ushort", "uchar", "half",
            "bool", "void", "if", "else", "for", "while", "do", "switch", "case", "default", "break",
            "continue", "goto", "return", "const", "static", "volatile", "restrict", "signed", "unsigned",
            "struct", "union", "enum", "typedef", "sizeof", "auto", "register", "extern", "inline",
            "kernel", "global", "local", "constant", "private", "image2d_t", "sampler_t", "event_t",
            "size_t", "ptrdiff_t", "intptr_t", "uintptr_t", "true", "false", "min", "max", "exp", "log",
            "sqrt", "fabs", "floor", "ceil", "fma", "fmod", "pow", "tanh", "rsqrt", "abs", "select",
            "barrier", "isnan", "isinf", "as_int", "as_float", "as_uint", "convert_int", "fmin", "fmax",
            "copysign", "signbit", "atomic_add", "atomic_cmpxchg", "mad", "clamp", "sign", "dot");

    private final String entryName;
    private final List<KernelParam> params = new ArrayList<>();
    private final List<Block> blocks = new ArrayList<>();
    private final List<Reg> regs = new ArrayList<>();
    private final List<ArrayRef.Shared> sharedArrays = new ArrayList<>();
    private final List<ArrayRef.Private> privateArrays = new ArrayList<>();
    private final Set<String> usedNames = new HashSet<>();
    private boolean usesWarpOps;
    private boolean usesBarriers;
    private int maxThreads;
    private int minGroupsPerMultiprocessor;

    public IrFunction(String entryName) {
        this.entryName = entryName;
        usedNames.add(entryName);
    }

    public String entryName() { return entryName; }
    public List<KernelParam> params() { return params; }
    public List<Block> blocks() { return blocks; }
    public List<Reg> regs() { return regs; }
    public List<ArrayRef.Shared> sharedArrays() { return sharedArrays; }
    public List<ArrayRef.Private> privateArrays() { return privateArrays; }
    public boolean usesWarpOps() { return usesWarpOps; }
    public boolean usesBarriers() { return usesBarriers; }
    public void markWarpOps() { usesWarpOps = true; }

    private boolean swizzledShared;

    /**
     * Shared arrays of this kernel start on 1024-byte boundaries (wgmma and bulk copies read
     * tiles with the 128-byte swizzle, whose pattern follows the address bits).
     */
    public void markSwizzledShared() { swizzledShared = true; }

    /** The alignment of each shared array in bytes. */
    public int sharedAlignment() { return swizzledShared ? 1024 : 16; }
    public void markBarriers() { usesBarriers = true; }

    /** Launch bounds from {@code @LaunchBounds}; 0 when the kernel has none. */
    public int maxThreads() { return maxThreads; }
    public int minGroupsPerMultiprocessor() { return minGroupsPerMultiprocessor; }
    public void launchBounds(int maxThreads, int minGroupsPerMultiprocessor) {
        this.maxThreads = maxThreads;
        this.minGroupsPerMultiprocessor = minGroupsPerMultiprocessor;
    }

    public boolean usesType(Type t) {
        return regs.stream().anyMatch(r -> r.type() == t)
                || sharedArrays.stream().anyMatch(a -> a.elem().regType == t)
                || privateArrays.stream().anyMatch(a -> a.elem().regType == t)
                || params.stream().anyMatch(p -> p.isArray() && p.array().elem().regType == t);
    }

    public int sharedBytes() {
        int total = 0;
        for (ArrayRef.Shared s : sharedArrays) total = sharedOffset(s) + s.length() * s.elem().bytes;
        return total;
    }

    /** Where a shared array starts in the group's shared memory, arrays laid out in declaration order. */
    public int sharedOffset(ArrayRef.Shared array) {
        int at = 0;
        for (ArrayRef.Shared s : sharedArrays) {
            at = align(at, sharedAlignment());
            if (s.equals(array)) return at;
            at += s.length() * s.elem().bytes;
        }
        throw new IllegalArgumentException("not a shared array of " + entryName + ": " + array);
    }

    private static int align(int n, int a) { return (n + a - 1) / a * a; }

    /** A fresh, unique, identifier-safe name based on {@code base}. */
    public String uniqueName(String base) {
        String clean = base.replaceAll("[^A-Za-z0-9_]", "_");
        if (clean.isEmpty() || !Character.isLetter(clean.charAt(0))) clean = "v" + clean;
        if (RESERVED.contains(clean)) clean = clean + "_";
        String name = clean;
        for (int n = 2; !usedNames.add(name); n++) name = clean + "_" + n;
        return name;
    }

    public Reg newReg(Type type, String baseName) {
        Reg r = new Reg(regs.size(), type, uniqueName(baseName));
        regs.add(r);
        return r;
    }

    /** A new block; it joins {@link #blocks()} when {@link #place} starts filling it. */
    public Block newBlock(String baseLabel) {
        return new Block(uniqueName(baseLabel));
    }

    /** Appends {@code b} to the layout: blocks are emitted in the order they were filled. */
    public void place(Block b) {
        if (blocks.contains(b)) throw new IllegalStateException("block " + b + " placed twice");
        blocks.add(b);
    }

    /** Declares an array created by the front end once its allocation is emitted. */
    public void declare(ArrayRef array) {
        switch (array) {
            case ArrayRef.Shared s -> { if (!sharedArrays.contains(s)) sharedArrays.add(s); }
            case ArrayRef.Private p -> { if (!privateArrays.contains(p)) privateArrays.add(p); }
            case ArrayRef.Global g -> throw new IllegalArgumentException("global arrays are parameters: " + g);
        }
    }
}
