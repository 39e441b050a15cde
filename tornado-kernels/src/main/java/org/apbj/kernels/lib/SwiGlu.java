package org.apbj.kernels.lib;

import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.KernelMath;

/** The gated FFN activation of Llama and Qwen. */
public final class SwiGlu {
    private SwiGlu() {}

    /**
     * {@code h[i] = silu(gate[i]) · up[i]} over {@code count} elements ([T, intermediate] flat);
     * h may be gate or up itself. Grid: 1-D, any size (grid-stride loop).
     */
    public static void swiGlu(KernelContext ctx, F32Array h, F32Array gate, F32Array up, int count) {
        for (int i = ctx.globalIdx; i < count; i += ctx.globalGroupSizeX) {
            h.set(i, KernelMath.silu(gate.get(i)) * up.get(i));
        }
    }
}
