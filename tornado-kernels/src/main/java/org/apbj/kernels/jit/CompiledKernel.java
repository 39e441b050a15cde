package org.apbj.kernels.jit;

import java.util.List;

/**
 * The compiler's output for one (kernel, specialisation, target).
 *
 * @param entryName       the entry point's name in {@code source}
 * @param source          PTX text or OpenCL C text
 * @param params          the parameters the compiled code takes, in order: the kernel's
 *                        parameters minus its KernelContext and minus @Constant ones (folded)
 * @param usesWarpOps     shuffles/warp reductions: launches need local sizes that are
 *                        multiples of 32
 * @param usesBarriers    localBarrier or shared memory
 * @param sharedBytes     static shared memory the kernel declares
 * @param cacheKey        hash of bytecode (with inlined callees), constants and target
 */
public record CompiledKernel(String entryName, String source, Target target, List<Param> params,
                             boolean usesWarpOps, boolean usesBarriers, int sharedBytes, String cacheKey) {

    /** A runtime parameter: its position among the Java method's parameters, name and kind. */
    public record Param(int javaIndex, String name, ParamKind kind) {}

    public enum ParamKind {
        F32_ARRAY, BF16_ARRAY, F16_ARRAY, I32_ARRAY, I8_ARRAY, I64_ARRAY,
        INT, LONG, FLOAT, DOUBLE, SHORT, BYTE, BOOLEAN,
        /** A {@code TensorMap}: its 128-byte hardware descriptor, passed by value (PTX only). */
        TENSOR_MAP;

        public boolean isArray() { return ordinal() <= I64_ARRAY.ordinal(); }
    }
}
