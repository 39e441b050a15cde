package org.apbj.model;

import org.apbj.weights.ModelConfig;

/**
 * Device memory a {@link Transformer} needs, worked out from the config before anything is
 * allocated: bf16 weights (and retaining heads), the bf16 KV cache for the requested context, and the scratch buffers of one prefill chunk.
 *
 * @param retainingHidden hidden width of the retaining heads (fc1 rows), 0 without heads
 */
public record MemoryPlan(ModelConfig config, int contextTokens, int prefillChunk, int retainingHidden,
                         long weightBytes, long kvBytes, long scratchBytes, long freeBytes) {

    /** Headroom kept free for the runtime, compiled modules and allocator slack. */
    public static final double HEADROOM = 0.05;

    public static MemoryPlan of(ModelConfig cfg, int contextTokens, int prefillChunk, int retainingHidden,
                                long freeBytes) {
        if (contextTokens <= 0) throw new IllegalArgumentException("context must be at least one token, got " + contextTokens);
        if (prefillChunk <= 0) throw new IllegalArgumentException("prefill chunk must be at least one token, got " + prefillChunk);
        return new MemoryPlan(cfg, contextTokens, prefillChunk, retainingHidden, weightBytes(cfg, retainingHidden),
                kvBytes(cfg, contextTokens), Workspace.bytes(cfg, prefillChunk, retainingHidden), freeBytes);
    }

    /** Bytes of all bf16 parameters, and the fp32 RoPE inverse frequencies. */
    public static long weightBytes(ModelConfig c, int retainingHidden) {
        long h = c.hiddenSize(), qd = c.qDim(), kvd = c.kvDim(), inter = c.intermediateSize();
        long perLayer = 2 * h                       // two RMSNorm weights
                + h * qd + 2 * h * kvd + qd * h      // q, k, v, o
                + (c.qkvBias() ? qd + 2 * kvd : 0)
                + 3 * h * inter                      // gate, up, down
                + (long) retainingHidden * (qd + 2 * kvd) + (long) retainingHidden * c.numKvHeads();
        long params = (long) c.vocabSize() * h * (c.tieWordEmbeddings() ? 1 : 2) + h + perLayer * c.numLayers();
        return params * 2 + c.headDim() / 2 * 4L;
    }

    /** Bytes of the bf16 K and V caches of every layer for {@code tokens} tokens. */
    public static long kvBytes(ModelConfig c, long tokens) {
        return tokens * c.numLayers() * 2L * c.kvDim() * 2L;
    }

    public long totalBytes() { return weightBytes + kvBytes + scratchBytes; }

    /** Memory the plan may use: the free memory less the headroom. */
    public long usableBytes() { return (long) (freeBytes * (1 - HEADROOM)); }

    public boolean fits() { return totalBytes() <= usableBytes(); }

    /** The longest context whose KV fits beside the weights and scratch (0 if none does). */
    public int largestContextThatFits() {
        long left = usableBytes() - weightBytes - scratchBytes;
        if (left <= 0) return 0;
        return (int) Math.min(Integer.MAX_VALUE, left / kvBytes(config, 1));
    }

    /** Fails ({@link org.apbj.kernels.runtime.DeviceMemoryException}), before anything is allocated, when the plan does not fit. */
    public void requireFits(String deviceName) {
        if (fits()) return;
        throw new org.apbj.kernels.runtime.DeviceMemoryException(String.format(
                "model does not fit on %s: weights %s + KV cache for %d tokens %s + scratch for %d-token prefill chunks %s = %s,"
                        + " but only %s of %s free is usable (%.0f%% headroom); the largest context that fits is %d tokens"
                        + " (lower the context, or the prefill chunk to shrink the scratch)",
                deviceName, gib(weightBytes), contextTokens, gib(kvBytes), prefillChunk, gib(scratchBytes), gib(totalBytes()),
                gib(usableBytes()), gib(freeBytes), HEADROOM * 100, largestContextThatFits()));
    }

    static String gib(long bytes) { return String.format("%.2f GiB", bytes / (double) (1L << 30)); }
}
