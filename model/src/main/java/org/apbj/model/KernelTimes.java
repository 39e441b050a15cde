package org.apbj.model;

/**
 * Device time spent per kernel kind since the timer was last reset, with the floating-point
 * work done (GEMM: 2·T·K·N; causal attention: 2·2·T²·d·nH/2 for the q·k and p·v products).
 * Times are only measured while profiling is on: each launch is then bracketed by device marks
 * (CUDA events), read later, so nothing waits for the device in between.
 */
public record KernelTimes(long gemmNanos, long attentionNanos, long otherNanos,
                          double gemmFlops, double attentionFlops, long launches) {

    public static final KernelTimes ZERO = new KernelTimes(0, 0, 0, 0, 0, 0);

    public long totalNanos() { return gemmNanos + attentionNanos + otherNanos; }

    /** Achieved GEMM throughput in TFLOP/s (0 when nothing was timed). */
    public double gemmTflops() { return gemmNanos == 0 ? 0 : gemmFlops / gemmNanos / 1e3; }

    public double attentionTflops() { return attentionNanos == 0 ? 0 : attentionFlops / attentionNanos / 1e3; }

    public KernelTimes plus(KernelTimes o) {
        return new KernelTimes(gemmNanos + o.gemmNanos, attentionNanos + o.attentionNanos, otherNanos + o.otherNanos,
                gemmFlops + o.gemmFlops, attentionFlops + o.attentionFlops, launches + o.launches);
    }

    public KernelTimes minus(KernelTimes o) {
        return new KernelTimes(gemmNanos - o.gemmNanos, attentionNanos - o.attentionNanos, otherNanos - o.otherNanos,
                gemmFlops - o.gemmFlops, attentionFlops - o.attentionFlops, launches - o.launches);
    }
}
