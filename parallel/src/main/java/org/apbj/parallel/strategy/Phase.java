package org.apbj.parallel.strategy;

/** The three parts of a request, timed separately. */
public enum Phase {
    /** Phase 1: the context, split over the ranks. */
    PREFILL,
    /** Phase 2: the query tokens on every rank. */
    QUERY,
    /** Phase 2: one generated token at a time (summed over the steps). */
    DECODE
}
