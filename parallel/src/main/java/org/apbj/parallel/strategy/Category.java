package org.apbj.parallel.strategy;

/** What the time of a layer went into. */
public enum Category {
    /** Input norm, q/k/v projections, RoPE, retaining-head scores, top-k and gathering of passing K/V. */
    QKV_SCORING,
    /** Waiting in collectives (allGather, ring shift, broadcast), including waiting for slower ranks. */
    COMMUNICATION,
    /** Attention and LSE merges. */
    ATTENTION,
    /** o_proj, residuals, post-attention norm and the MLP. */
    FFN,
    /** Host<->device copies of what is communicated, and KV moves into the cache. */
    STAGING,
    /** Embedding, final norm and LM head, sampling (recorded outside the layers). */
    OTHER
}
