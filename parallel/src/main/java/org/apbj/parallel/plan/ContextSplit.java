package org.apbj.parallel.plan;

/**
 * How a context of {@code contextLength} tokens is cut over {@code hosts} ranks: right-padded to
 * a multiple of the host count, equal blocks of {@code blockSize}; the padding sits at the end of
 * the last rank's block only (and is dropped from its KV after prefill).
 */
public record ContextSplit(int contextLength, int hosts, int blockSize, int padding) {

    public ContextSplit {
        if (hosts < 1) throw new IllegalArgumentException("need at least one rank, got " + hosts);
        if (contextLength < 1) throw new IllegalArgumentException("empty context: give at least one context token");
        if ((long) blockSize * hosts != (long) contextLength + padding || padding < 0) {
            throw new IllegalArgumentException("inconsistent split: " + hosts + " x " + blockSize + " != " + contextLength + " + " + padding);
        }
        if (padding >= blockSize) {
            throw new IllegalArgumentException("a context of " + contextLength + " tokens cannot be split over " + hosts
                    + " ranks with padding on the last rank only (blocks of " + blockSize + ", " + padding
                    + " padding tokens): use fewer ranks (--ranks=" + mostRanks(contextLength, hosts) + " or less) or at least "
                    + ((long) (hosts - 1) * blockSize + 1) + " context tokens");
        }
    }

    public static ContextSplit of(int contextLength, int hosts) {
        if (hosts < 1) throw new IllegalArgumentException("need at least one rank, got " + hosts);
        int block = (int) Math.ceilDiv((long) Math.max(contextLength, 1), hosts);
        return new ContextSplit(contextLength, hosts, block, block * hosts - contextLength);
    }

    /** The most ranks, up to {@code limit}, that a context of {@code contextLength} tokens can be split over. */
    public static int mostRanks(int contextLength, int limit) {
        for (int h = Math.min(limit, Math.max(contextLength, 1)); h > 1; h--) {
            int block = (int) Math.ceilDiv((long) contextLength, h);
            if ((long) block * h - contextLength < block) return h;
        }
        return 1;
    }

    public int paddedLength() { return blockSize * hosts; }

    /** Global position of rank r's first token. */
    public int blockStart(int rank) {
        checkRank(rank);
        return rank * blockSize;
    }

    /** Real (non-padding) tokens of rank r's block. */
    public int realLength(int rank) {
        checkRank(rank);
        return rank == hosts - 1 ? blockSize - padding : blockSize;
    }

    /** Rank r's block of {@code context}, padded with {@code padToken} on the last rank. */
    public int[] block(int[] context, int rank, int padToken) {
        if (context.length != contextLength) {
            throw new IllegalArgumentException("context has " + context.length + " tokens, the split was made for " + contextLength);
        }
        int[] out = new int[blockSize];
        int start = blockStart(rank);
        int real = realLength(rank);
        System.arraycopy(context, start, out, 0, real);
        java.util.Arrays.fill(out, real, blockSize, padToken);
        return out;
    }

    /** True global positions of rank r's block (padding continues the sequence). */
    public int[] positions(int rank) {
        int[] p = new int[blockSize];
        int start = blockStart(rank);
        for (int i = 0; i < blockSize; i++) p[i] = start + i;
        return p;
    }

    private void checkRank(int rank) {
        if (rank < 0 || rank >= hosts) throw new IllegalArgumentException("rank " + rank + " outside [0, " + hosts + ")");
    }
}
