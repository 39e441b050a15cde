package org.apbj.tokenizer;

/**
 * Open-addressing hash map from a pair of token ids to the index (rank) of the merge that joins
 * them. Primitive keys keep the hot loop of BPE free of boxing.
 */
final class PairRankMap {
    private static final long EMPTY = -1L;
    private final long[] keys;
    private final int[] ranks;
    private final int mask;

    PairRankMap(int expectedSize) {
        int capacity = Integer.highestOneBit(Math.max(4, expectedSize) * 2 - 1) << 1;
        keys = new long[capacity];
        ranks = new int[capacity];
        java.util.Arrays.fill(keys, EMPTY);
        mask = capacity - 1;
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private static int slot(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 33) & mask;
    }

    /** Sets the rank of a pair, replacing an earlier one (a later duplicate merge wins, as in HF). */
    void put(int left, int right, int rank) {
        long k = key(left, right);
        int s = slot(k, mask);
        while (keys[s] != EMPTY && keys[s] != k) s = (s + 1) & mask;
        keys[s] = k;
        ranks[s] = rank;
    }

    /** The rank of the merge of {@code left} followed by {@code right}, or -1 if there is none. */
    int rank(int left, int right) {
        long k = key(left, right);
        int s = slot(k, mask);
        while (true) {
            long existing = keys[s];
            if (existing == k) return ranks[s];
            if (existing == EMPTY) return -1;
            s = (s + 1) & mask;
        }
    }
}
