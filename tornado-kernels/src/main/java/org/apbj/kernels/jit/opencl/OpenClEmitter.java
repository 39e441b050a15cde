package org.apbj.kernels.jit.opencl;

import org.apbj.kernels.jit.ir.IrFunction;

public final class OpenClEmitter {
    private OpenClEmitter() {}

    public static String emit(IrFunction fn, String javaName) {
        throw new UnsupportedOperationException("OpenCL backend not yet written");
    }
}
