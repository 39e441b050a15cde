package org.apbj.kernels.runtime.java;

import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.reflect.Method;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apbj.kernels.api.KernelContext;

/**
 * What a kernel needs from its work-group, found by scanning its bytecode and that of the
 * static methods it calls (those taking a KernelContext) for KernelContext calls. Kernels
 * without any of these run their work-items in a plain loop; the others as cooperating threads.
 */
public final class KernelFeatures {

    public enum Feature {
        /** localBarrier. */
        BARRIER,
        /** globalBarrier: only meaningful when the launch is a single group. */
        GLOBAL_BARRIER,
        /** allocate*LocalArray. */
        SHARED_MEMORY,
        /** shuffles, broadcasts, warp reductions: groups must be whole warps. */
        WARP,
        /** a KernelContext method this scanner does not know: treated as needing cooperation. */
        UNKNOWN_COOPERATIVE
    }

    private static final String CONTEXT = KernelContext.class.getName().replace('.', '/');
    private static final String CONTEXT_DESC = "L" + CONTEXT + ";";
    /** KernelContext methods a work-item can run alone. */
    private static final Set<String> INDEPENDENT = Set.of("<init>", "localLinearId", "laneId", "warpId",
            "resetLocalAllocations");

    private static final Map<Method, Set<Feature>> CACHE = new ConcurrentHashMap<>();

    private KernelFeatures() {}

    public static Set<Feature> of(Method kernel) {
        return CACHE.computeIfAbsent(kernel, m -> {
            EnumSet<Feature> found = EnumSet.noneOf(Feature.class);
            String desc = java.lang.invoke.MethodType.methodType(m.getReturnType(), m.getParameterTypes())
                    .toMethodDescriptorString();
            scan(m.getDeclaringClass().getClassLoader(), m.getDeclaringClass().getName().replace('.', '/'),
                    m.getName(), desc, found, new HashSet<>());
            return Set.copyOf(found);
        });
    }

    public static boolean needsCooperation(Set<Feature> features) { return !features.isEmpty(); }

    static Feature classify(String contextMethod) {
        if (INDEPENDENT.contains(contextMethod)) return null;
        if (contextMethod.equals("localBarrier") || contextMethod.equals("namedBarrier")) return Feature.BARRIER;
        if (contextMethod.equals("globalBarrier")) return Feature.GLOBAL_BARRIER;
        if (contextMethod.startsWith("allocate") && contextMethod.endsWith("LocalArray")) return Feature.SHARED_MEMORY;
        if (contextMethod.startsWith("shuffle") || contextMethod.startsWith("warpReduce")
                || contextMethod.equals("broadcast")) return Feature.WARP;
        return Feature.UNKNOWN_COOPERATIVE;
    }

    private static void scan(ClassLoader loader, String owner, String name, String desc,
                             EnumSet<Feature> found, Set<String> visited) {
        if (!visited.add(owner + "." + name + desc)) return;
        ClassModel cm = load(loader, owner);
        for (MethodModel mm : cm.methods()) {
            if (!mm.methodName().equalsString(name) || !mm.methodType().equalsString(desc)) continue;
            CodeModel code = mm.code().orElse(null);
            if (code == null) return;
            for (var element : code) {
                if (!(element instanceof InvokeInstruction inv)) continue;
                String callee = inv.owner().asInternalName();
                String calleeName = inv.name().stringValue();
                if (callee.equals(CONTEXT)) {
                    Feature f = classify(calleeName);
                    if (f != null) found.add(f);
                } else if (inv.opcode() == Opcode.INVOKESTATIC && inv.typeSymbol().descriptorString().contains(CONTEXT_DESC)) {
                    scan(loader, callee, calleeName, inv.typeSymbol().descriptorString(), found, visited);
                }
            }
            return;
        }
        throw new IllegalStateException("method " + owner.replace('/', '.') + "." + name + desc + " not found in its class file");
    }

    private static ClassModel load(ClassLoader loader, String internalName) {
        ClassLoader cl = loader != null ? loader : ClassLoader.getSystemClassLoader();
        try (InputStream in = cl.getResourceAsStream(internalName + ".class")) {
            if (in == null) {
                throw new IllegalStateException("cannot read the class file of " + internalName.replace('/', '.')
                        + " to find the kernel's barriers and shuffles");
            }
            return ClassFile.of().parse(in.readAllBytes());
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the class file of " + internalName.replace('/', '.'), e);
        }
    }
}
