package org.apbj.examples.api;

/** The prefill methods the engine runs (APB-SPEC.md): all drive the same kernels. */
public enum Method {
    /** Exact causal attention on one rank (FlashAttn baseline). */
    DENSE,
    /** Exact: K/V blocks rotate around the ring, partial results merged by log-sum-exp. */
    RING,
    /** Anchor = the whole first block, no passing block. */
    STAR,
    /** Anchor + compressed passing blocks chosen by the retaining heads. */
    APB;

    public String label() { return name().toLowerCase(java.util.Locale.ROOT); }

    public static Method parse(String s) {
        for (Method m : values()) if (m.label().equalsIgnoreCase(s.trim())) return m;
        throw new IllegalArgumentException("unknown method '" + s + "': use apb, star, ring or dense");
    }

    /** "apb,dense" -> [APB, DENSE]. */
    public static java.util.List<Method> parseList(String csv) {
        java.util.List<Method> out = new java.util.ArrayList<>();
        for (String p : csv.split(",")) if (!p.isBlank()) out.add(parse(p));
        if (out.isEmpty()) throw new IllegalArgumentException("no methods in '" + csv + "'");
        return out;
    }
}
