package org.apbj.kernels.jit;

import java.util.ArrayList;
import java.util.List;
import org.apbj.kernels.api.Kernel;
import org.apbj.kernels.jit.front.Lifter;
import org.apbj.kernels.jit.ir.IrFunction;
import org.apbj.kernels.jit.ir.KernelParam;
import org.apbj.kernels.jit.opencl.OpenClEmitter;
import org.apbj.kernels.jit.ptx.PtxEmitter;

/**
 * Compiles kernel methods to PTX or OpenCL C. Results are cached in memory and on disk
 * ({@link KernelCache}), keyed by the bytecode of the kernel and every method it calls, the
 * values of its @Constant parameters and the target.
 */
public final class KernelCompiler {
    private KernelCompiler() {}

    /** For kernels without @Constant parameters. */
    public static CompiledKernel compile(Kernel kernel, Target target) {
        return compile(kernel, target, null);
    }

    /**
     * @param launchArgs the arguments after the KernelContext, as passed to Device.launch;
     *                   only the values of @Constant parameters are used (may be null when
     *                   the kernel has none)
     */
    public static CompiledKernel compile(Kernel kernel, Target target, Object[] launchArgs) {
        Object[] constants = constantValues(kernel, launchArgs);
        return KernelCache.shared().get(kernel, target, constants, () -> compileUncached(kernel, target, constants));
    }

    /** Compiles without consulting or filling the cache (constants as from {@link #constantValues}). */
    static CompiledKernel compileUncached(Kernel kernel, Target target, Object[] constants) {
        IrFunction fn = Lifter.lift(kernel.method(), target, constants);
        String source = switch (target.kind()) {
            case PTX -> PtxEmitter.emit(fn, target, kernel.qualifiedName());
            case OPENCL -> OpenClEmitter.emit(fn, kernel.qualifiedName());
        };
        List<CompiledKernel.Param> params = new ArrayList<>();
        for (KernelParam p : fn.params()) params.add(new CompiledKernel.Param(p.javaIndex(), p.name(), p.kind()));
        return new CompiledKernel(fn.entryName(), source, target, List.copyOf(params), fn.usesWarpOps(),
                fn.usesBarriers(), fn.sharedBytes(), CacheKey.of(kernel, target, constants));
    }

    /** The @Constant parameters' values by Java parameter index (null elsewhere); no reflection (see {@link Kernel#params()}). */
    static Object[] constantValues(Kernel kernel, Object[] launchArgs) {
        List<Kernel.Param> ps = kernel.params();
        Object[] constants = new Object[ps.isEmpty() ? 0 : ps.size() - 1];
        if (!kernel.hasConstants()) return constants;
        for (int i = 1; i < ps.size(); i++) {
            if (!ps.get(i).constant()) continue;
            if (launchArgs == null || launchArgs.length != ps.size() - 1) {
                throw new KernelCompileException(kernel.qualifiedName() + ": @Constant parameter '" + ps.get(i).name()
                        + "' needs its launch value, but " + (launchArgs == null ? "no launch arguments were" : launchArgs.length + " launch arguments (of " + (ps.size() - 1) + ") were")
                        + " given. Instead: call compile(kernel, target, launchArgs) with the arguments after the KernelContext.");
            }
            constants[i - 1] = launchArgs[i - 1];
        }
        return constants;
    }
}
