package org.apbj.kernels.lib;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.KernelContext;

/** Token embeddings: bf16 table rows gathered into fp32 hidden states. */
public final class Embedding {
    private Embedding() {}

    /**
     * {@code out[t, :] = table[tokens[t], :]} for t in [0, rows). Token ids must lie in
     * [0, vocab) (checked on the host before upload). Grid: 1-D, any size (grid-stride loop).
     */
    public static void embed(KernelContext ctx, F32Array out, BF16Array table, I32Array tokens, int rows, int hidden) {
        int total = rows * hidden;
        for (int e = ctx.globalIdx; e < total; e += ctx.globalGroupSizeX) {
            int t = e / hidden;
            int c = e - t * hidden;
            out.set(e, table.getFloat(tokens.get(t) * hidden + c));
        }
    }
}
