package org.apbj.parallel.strategy;

/** What the time of a layer went into. */
public enum Category {
    /** Input norm, q/k/v projections and RoPE. */
    QKV,
    /**
     * APB's compression: retaining-head scores, the per-head top-l_p selection and gathering the
     * chosen K/V into the passing block (its share of a layer is what issue #13 holds to 5%).
     */
    RETAINING,
    /**
     * Collectives from start to data landed (including waiting for slower ranks): host time. With
     * overlap most of it runs beside compute; what compute waited for is {@link #EXPOSED_COMMUNICATION}.
     */
    COMMUNICATION,
    /** Attention and LSE merges. */
    ATTENTION,
    /** o_proj, residuals, post-attention norm and the MLP. */
    FFN,
    /** Host<->device copies of what is communicated, and KV moves into the cache. */
    STAGING,
    /** Embedding, final norm and LM head, sampling (recorded outside the layers). */
    OTHER,
    /**
     * Device time the compute queue stood still waiting for communication (device marks around
     * the wait): the part of {@link #COMMUNICATION} that overlap did not hide.
     */
    EXPOSED_COMMUNICATION
}
