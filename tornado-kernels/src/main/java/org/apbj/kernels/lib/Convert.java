package org.apbj.kernels.lib;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.KernelContext;

/** Conversions of activations between the fp32 stream and the bf16 GEMM inputs. */
public final class Convert {
    private Convert() {}

    /** {@code out[i] = in[i]} rounded to bf16 (nearest even) over {@code count} elements. Grid: 1-D, any size. */
    public static void toBf16(KernelContext ctx, BF16Array out, F32Array in, int count) {
        for (int i = ctx.globalIdx; i < count; i += ctx.globalGroupSizeX) out.setFloat(i, in.get(i));
    }
}
