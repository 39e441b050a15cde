package org.apbj.parallel.strategy;

import java.util.Arrays;
import java.util.Locale;

/** The prefill methods: APB and its baselines (APB-SPEC.md, "Baselines"). */
public enum Method {
    /** One rank, exact causal attention (the FlashAttn baseline). */
    DENSE,
    /** Exact attention; K/V blocks circulate around the ring, merged by log-sum-exp. */
    RING,
    /** Anchor = the first block, no passing. */
    STAR,
    /** Anchor + query-aware compressed passing blocks. */
    APB;

    public static Method parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown method '" + name + "': use one of "
                    + Arrays.toString(values()).toLowerCase(Locale.ROOT), e);
        }
    }

    public String id() { return name().toLowerCase(Locale.ROOT); }
}
