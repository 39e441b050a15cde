package org.apbj.examples.api;

import java.util.Map;

/**
 * Where one request's time went, in milliseconds. Prefill is the slowest rank's phase-1 time
 * (the critical path: wall time from a common start to the end of its device work); its
 * breakdown is that rank's, by category: qkv, retaining, communication, attention, ffn, staging,
 * other, exposed_communication (device time between device marks; communication is host time).
 *
 * @param prefillMs          phase 1 (the context)
 * @param queryMs            phase 2, the query tokens
 * @param decodeMs           phase 2, all generated tokens
 * @param prefillBreakdownMs the slowest rank's prefill by category
 * @param prefillPerRankMs   every rank's prefill time, rank order
 * @param kernelPreparationMs kernel compiles and module loads during this request (slowest rank),
 *                           included in its times; 0 once the job's kernels are warm
 * @param prefillRetainingShare the share of prefill device time the retaining heads took (scores,
 *                           top-k, gathering the passing block) on the rank where it was largest;
 *                           0 without them (every method but APB on several ranks)
 * @param prefillExposedPerRankMs every rank's exposed communication in prefill (device time its
 *                           compute stream stood still at communication waits), rank order
 */
public record Timing(double prefillMs, double queryMs, double decodeMs, Map<String, Double> prefillBreakdownMs,
                     double[] prefillPerRankMs, double kernelPreparationMs,
                     double prefillRetainingShare, double[] prefillExposedPerRankMs) {
    public Timing {
        prefillBreakdownMs = Map.copyOf(prefillBreakdownMs);
        prefillPerRankMs = prefillPerRankMs.clone();
        prefillExposedPerRankMs = prefillExposedPerRankMs.clone();
    }

    /** Context tokens per second of prefill. */
    public double prefillTokensPerSecond(int contextTokens) {
        return prefillMs > 0 ? contextTokens / (prefillMs / 1000) : Double.NaN;
    }
}
