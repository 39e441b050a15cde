package org.apbj.kernels.jit.front;

import java.lang.classfile.Instruction;
import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.constant.MethodTypeDesc;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the bytecode of a kernel and of every static method it may inline (transitively),
 * without lifting it: what the cache key hashes. JDK classes and the kernel API's intrinsic
 * classes are skipped (they are part of the compiler's own version).
 */
public final class CalleeScanner {
    private CalleeScanner() {}

    /** "owner.name(desc)" to Code-attribute bytes, kernel first, then in discovery order. */
    public static Map<String, byte[]> bytecode(Method kernel) {
        ClassLoader loader = kernel.getDeclaringClass().getClassLoader();
        Map<String, byte[]> out = new LinkedHashMap<>();
        List<String[]> work = new ArrayList<>();
        work.add(new String[] {kernel.getDeclaringClass().getName(), kernel.getName(), Lifter.descriptorOf(kernel)});
        while (!work.isEmpty()) {
            String[] m = work.removeFirst();
            String key = m[0] + "." + m[1] + m[2];
            if (out.containsKey(key)) continue;
            MethodCode code = MethodCode.load(loader, m[0], m[1], MethodTypeDesc.ofDescriptor(m[2]));
            out.put(key, code.codeBytes);
            for (Instruction insn : code.insns) {
                if (insn instanceof InvokeInstruction inv && inv.opcode() == Opcode.INVOKESTATIC) {
                    String owner = inv.owner().asInternalName().replace('/', '.');
                    if (owner.startsWith("java.") || owner.startsWith("jdk.") || owner.startsWith("javax.")) continue;
                    if (owner.equals(Intrinsics.API + "KernelMath") && !inv.name().equalsString("silu")) continue;
                    work.add(new String[] {owner, inv.name().stringValue(), inv.typeSymbol().descriptorString()});
                }
            }
        }
        return out;
    }
}
