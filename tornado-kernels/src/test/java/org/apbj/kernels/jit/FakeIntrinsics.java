package org.apbj.kernels.jit;

import org.apbj.kernels.api.IntrinsicClass;
import org.apbj.kernels.api.KernelContext;

/**
 * An intrinsic class the compiler has no registry entries for, as if TensorCore.mmaBf16 had
 * been renamed: its Java body must not be inlined silently (CompileErrorsTest).
 */
@IntrinsicClass
public final class FakeIntrinsics {
    private FakeIntrinsics() {}

    public static void mmaRenamed(KernelContext ctx, float[] acc) {
        for (int i = 0; i < acc.length; i++) acc[i] += 1.0f;
    }
}
