package org.apbj.parallel.strategy;

/**
 * What one request asks of a rank before it runs: the device bytes of the strategy's own buffers
 * (prefill and phase 2, from a dry run of its allocations), and the most rows one layer-step call
 * takes and keys one attention call reads (what the layer steps must be reserved for).
 */
public record RequestDemand(long bufferBytes, int rows, int keys) {

    /** The larger of each figure: a job's demand over its requests. */
    public RequestDemand max(RequestDemand o) {
        return new RequestDemand(Math.max(bufferBytes, o.bufferBytes), Math.max(rows, o.rows), Math.max(keys, o.keys));
    }
}
