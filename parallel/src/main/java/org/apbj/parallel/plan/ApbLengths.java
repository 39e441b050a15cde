package org.apbj.parallel.plan;

/**
 * Anchor length l_a and passing length l_p (per host) of APB.
 *
 * <p>Default rule, from the paper's table (H = 8: B = 4K..64K gives l_a = 1024..8192,
 * l_p = B/8): l_a = B/4 but at most 8192 and never below B/8; l_p = B/8. Both are rounded
 * down to a multiple of {@value #TILE} (the attention kernels' key tile) when they are at
 * least that large. The anchor must hold the chat header and the whole query, so a default
 * l_a below qpos + query length is raised to it (an explicit l_a is only checked).
 */
public record ApbLengths(int anchor, int passing) {
    public static final int TILE = 16;
    static final int ANCHOR_CAP = 8192;

    public ApbLengths {
        if (anchor < 0 || passing < 0) {
            throw new IllegalArgumentException("anchor and passing lengths must be >= 0, got l_a=" + anchor + ", l_p=" + passing);
        }
    }

    public static ApbLengths defaults(int blockSize, int qpos, int queryLength) {
        int la = Math.min(blockSize / 4, Math.max(ANCHOR_CAP, blockSize / 8));
        la = Math.max(roundToTile(la), qpos + queryLength);
        return new ApbLengths(la, roundToTile(blockSize / 8));
    }

    /**
     * The lengths to use: each given value (null = derive) is kept, the others follow the rule;
     * then everything is checked against the block and the anchor's fixed part.
     */
    public static ApbLengths resolve(Integer anchor, Integer passing, int blockSize, int qpos, int queryLength, int contextLength) {
        ApbLengths d = defaults(blockSize, qpos, queryLength);
        ApbLengths l = new ApbLengths(anchor != null ? anchor : d.anchor(), passing != null ? passing : d.passing());
        l.validate(blockSize, qpos, queryLength, contextLength);
        return l;
    }

    public void validate(int blockSize, int qpos, int queryLength, int contextLength) {
        if (passing > blockSize) {
            throw new IllegalArgumentException("passing length l_p=" + passing + " exceeds the block size " + blockSize
                    + " (context / ranks): choose l_p <= " + blockSize + " (--passing-length)");
        }
        if (anchor > 0 && anchor < qpos + queryLength) {
            throw new IllegalArgumentException("anchor length l_a=" + anchor + " cannot hold the " + qpos
                    + " header tokens and the " + queryLength + "-token query: choose l_a >= " + (qpos + queryLength)
                    + " (or 0 for no anchor; --anchor-length)");
        }
        if (anchor > 0 && anchor - queryLength > contextLength) {
            throw new IllegalArgumentException("anchor length l_a=" + anchor + " needs " + (anchor - queryLength)
                    + " context tokens but the context has " + contextLength + ": choose l_a <= " + (contextLength + queryLength)
                    + " (--anchor-length)");
        }
        if (qpos > contextLength) {
            throw new IllegalArgumentException("qpos=" + qpos + " exceeds the context length " + contextLength);
        }
    }

    static int roundToTile(int v) {
        return v >= TILE ? v / TILE * TILE : v;
    }
}
