package org.apbj.kernels.corpus;

import org.apbj.kernels.api.AsyncCopy;
import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.KernelContext;

/**
 * Corpus: AsyncCopy's 4- and 8-byte copies (cp.async.ca with zero-fill). Work-item l of a group
 * copies its slice of each source into shared memory (in bounds while the slice lies below
 * {@code valid} elements, zeros beyond), commits, waits and meets the group at a barrier; then
 * it writes out the slice of the work-item at the mirrored position (GROUP − 1 − l), so the
 * results are only right if every copy finished and was made visible to the whole group.
 */
public final class AsyncCopyKernels {
    private AsyncCopyKernels() {}

    public static final int GROUP = 64;

    /**
     * Outputs per global id i: words[4i] ← copy4 of bf16 pair 2i, words[4i+1..4i+3) ← copy8 of bf16
     * 4i..4i+4 (two pairs), words[4i+3] unused (0); floats[3i] ← copy4 of fp32 i, floats[3i+1..3i+3)
     * ← copy8 of fp32 2i, 2i+1, each read back from the mirrored work-item's slice.
     */
    public static void smallCopies(KernelContext ctx, I32Array words, F32Array floats, BF16Array bf16, F32Array f32,
                                   int validBf16, int validF32) {
        int[] pairs4 = ctx.allocateIntLocalArray(GROUP);
        int[] pairs8 = ctx.allocateIntLocalArray(2 * GROUP);
        float[] floats4 = ctx.allocateFloatLocalArray(GROUP);
        float[] floats8 = ctx.allocateFloatLocalArray(2 * GROUP);
        int l = ctx.localIdx;
        int i = ctx.globalIdx;
        AsyncCopy.copy4(ctx, pairs4, l, bf16, 2 * i, 2 * i + 2 <= validBf16);
        AsyncCopy.copy8(ctx, pairs8, 2 * l, bf16, 4 * i, 4 * i + 4 <= validBf16);
        AsyncCopy.copy4(ctx, floats4, l, f32, i, i < validF32);
        AsyncCopy.copy8(ctx, floats8, 2 * l, f32, 2 * i, 2 * i + 2 <= validF32);
        AsyncCopy.commit(ctx);
        AsyncCopy.waitPending(ctx, 0);
        ctx.localBarrier();
        int m = GROUP - 1 - l;
        int mi = i - l + m;   // the mirrored work-item's global id
        words.set(4 * mi, pairs4[m]);
        words.set(4 * mi + 1, pairs8[2 * m]);
        words.set(4 * mi + 2, pairs8[2 * m + 1]);
        floats.set(3 * mi, floats4[m]);
        floats.set(3 * mi + 1, floats8[2 * m]);
        floats.set(3 * mi + 2, floats8[2 * m + 1]);
    }
}
