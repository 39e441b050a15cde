package org.apbj.model;

/**
 * Which keys each query of an attention call sees, for keys laid out as [P ; A ; B] (rows
 * [0, p), [p, p + a), [p + a, p + a + b) of the K/V buffers). Made through the factory methods,
 * which name the cases the strategies use; the fields are what the kernels take.
 *
 * <ul>
 *   <li>causal ({@code causal == true}): the queries are the rows [A ; B]; anchor rows see A
 *       causally only; B rows see all of P and A, and B causally;</li>
 *   <li>not causal: every query sees every one of the p + a + b keys.</li>
 * </ul>
 *
 * @param p      keys every block row sees whole: APB's passing blocks, or a cache before new tokens
 * @param a      anchor keys (seen causally by the anchor rows and whole by the block rows)
 * @param b      block keys, seen causally by the block rows
 * @param causal whether the mask above applies (else nothing is masked)
 */
public record AttentionMask(int p, int a, int b, boolean causal) {

    public AttentionMask {
        if (p < 0 || a < 0 || b < 0) throw new IllegalArgumentException("negative block length in an attention mask: p=" + p + " a=" + a + " b=" + b);
    }

    /** Plain causal attention of {@code n} tokens over themselves (dense prefill). */
    public static AttentionMask causal(int n) { return new AttentionMask(0, 0, n, true); }

    /**
     * APB's [P ; A ; B] mask: queries [A ; B]; anchor rows see A causally, block rows see P, A and
     * B causally (with p = 0: Star's anchored block, or APB's [A ; B] part with P merged later).
     */
    public static AttentionMask apb(int p, int a, int b) { return new AttentionMask(p, a, b, true); }

    /** A block with its anchor in front and no passing keys: {@link #apb apb(0, a, b)} (StarAttention, APB's [A ; B] part). */
    public static AttentionMask anchored(int a, int b) { return apb(0, a, b); }

    /**
     * {@code n} new tokens after {@code cached} keys already in the cache: each sees the whole
     * cache and the new tokens causally (chunked prefill, the last rank's query, decode).
     */
    public static AttentionMask appended(int cached, int n) { return new AttentionMask(cached, 0, n, true); }

    /**
     * Every query sees all {@code keys} keys: a block that lies wholly before the queries (a ring
     * block of an earlier rank, APB's passing blocks, a non-last rank's block in phase 2).
     */
    public static AttentionMask foreignBlock(int keys) { return new AttentionMask(0, 0, keys, false); }

    /** Keys the call reads: p + a + b. */
    public long keys() { return (long) p + a + b; }

    /** The query rows a causal mask takes (a + b); any count for a mask without one. */
    public boolean takesQueries(int nq) { return !causal || nq == a + b; }

    @Override
    public String toString() {
        return causal ? "causal [P ; A ; B] mask (p=" + p + ", a=" + a + ", b=" + b + ")" : "unmasked over " + keys() + " keys";
    }
}
