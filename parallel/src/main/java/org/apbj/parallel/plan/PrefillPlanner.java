package org.apbj.parallel.plan;

/**
 * Builds each rank's {@link RankPlan} for APB (APB-SPEC.md, phase 1) and StarAttn.
 */
public final class PrefillPlanner {

    private PrefillPlanner() {}

    /**
     * APB: ranks r > 0 prepend an anchor of l_a tokens: the first {@code qpos} context tokens,
     * the query, then context tokens from qpos on, up to l_a in total, at positions 0..l_a-1;
     * rank r receives r·l_p passing rows; the first l_a local positions may not be selected.
     */
    public static RankPlan apb(int[] context, int[] query, int qpos, ContextSplit split, ApbLengths lengths,
                               int rank, int padToken) {
        lengths.validate(split.blockSize(), qpos, query.length, context.length);
        int la = rank == 0 ? 0 : lengths.anchor();
        int[] anchor = new int[la];
        if (la > 0) {
            int ctxAfterHeader = la - qpos - query.length;
            System.arraycopy(context, 0, anchor, 0, qpos);
            System.arraycopy(query, 0, anchor, qpos, query.length);
            System.arraycopy(context, qpos, anchor, qpos + query.length, ctxAfterHeader);
        }
        return new RankPlan(rank, split.hosts(), anchor, range(0, la), split.block(context, rank, padToken),
                split.positions(rank), split.realLength(rank), rank * lengths.passing(), lengths.passing(),
                la + lengths.anchor());
    }

    /** StarAttn: the anchor of every rank r > 0 is the whole first block (l_a = B), no passing. */
    public static RankPlan star(int[] context, ContextSplit split, int rank, int padToken) {
        int la = rank == 0 ? 0 : split.blockSize();
        int[] anchor = rank == 0 ? new int[0] : split.block(context, 0, padToken);
        return new RankPlan(rank, split.hosts(), anchor, range(0, la), split.block(context, rank, padToken),
                split.positions(rank), split.realLength(rank), 0, 0, la + la);
    }

    /** Positions start, start+1, ..., start+n-1. */
    public static int[] range(int start, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = start + i;
        return p;
    }
}
