package org.apbj.parallel.plan;

/**
 * What one rank processes during the prefill of APB or StarAttn: its anchor (tokens and the
 * positions RoPE uses), its local block (tokens, true positions, real length), how many
 * passing rows precede them, and which score rows the top-k may not choose.
 *
 * <p>Row layout of the rank's K/V buffer in a layer: [P (passingRows) ; A (anchor) ; B (block)];
 * queries and retaining-head scores cover [A ; B].
 */
public record RankPlan(int rank, int hosts, int[] anchorTokens, int[] anchorPositions,
                       int[] blockTokens, int[] blockPositions, int realBlockLength,
                       int passingRows, int passingPerHost, int selectionExcludeFirst) {

    public int anchorLength() { return anchorTokens.length; }
    public int blockLength() { return blockTokens.length; }
    /** Rows of queries (and scores) this rank computes: anchor then block. */
    public int queryRows() { return anchorLength() + blockLength(); }
    public boolean isLast() { return rank == hosts - 1; }
    /** Ranks after this one use its selection; the last rank's is never used. */
    public boolean sendsPassingBlock() { return !isLast() && passingPerHost > 0; }

    /** Tokens of [A ; B] in row order. */
    public int[] rowTokens() { return concat(anchorTokens, blockTokens); }

    /** RoPE positions of [A ; B] in row order. */
    public int[] rowPositions() { return concat(anchorPositions, blockPositions); }

    /** Global position of the token at score row {@code row} (a selection index). */
    public int globalPositionOfScoreRow(int row) {
        if (row < anchorLength() || row >= queryRows()) {
            throw new IllegalArgumentException("score row " + row + " is not in the local block rows ["
                    + anchorLength() + ", " + queryRows() + ")");
        }
        return blockPositions[row - anchorLength()];
    }

    /** The rank whose selection fills passing row {@code row} of this rank's P. */
    public int sourceRankOfPassingRow(int row) {
        if (row < 0 || row >= passingRows) throw new IllegalArgumentException("passing row " + row + " outside [0, " + passingRows + ")");
        return row / passingPerHost;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
