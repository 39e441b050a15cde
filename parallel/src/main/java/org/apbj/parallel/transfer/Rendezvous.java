package org.apbj.parallel.transfer;

import org.apbj.parallel.comm.Communicator;

/**
 * The MPJ Express collective that opens every device collective: all ranks show what they are
 * about to do (sequence number, kind, counts, parts); a rank that disagrees ends the job, naming
 * both calls, instead of moving bytes of the wrong size.
 */
final class Rendezvous {
    private static final int FIELDS = 6;

    private Rendezvous() {}

    /** Collective; returns every rank's header: {seq, kind, sendCount, recvCount, parts, elementBytes}. */
    static int[][] agree(Communicator comm, Exchange op, long seq) {
        int n = comm.size(), me = comm.rank();
        int[] mine = {(int) seq, op.kind().ordinal(), op.sendCount(), op.recvCount(), op.parts().size(), op.elementBytes()};
        int[] flat = new int[FIELDS * n];
        comm.allGather(mine, flat);
        int[][] all = new int[n][];
        for (int r = 0; r < n; r++) all[r] = java.util.Arrays.copyOfRange(flat, r * FIELDS, (r + 1) * FIELDS);
        for (int r = 0; r < n; r++) {
            int[] h = all[r];
            boolean same = h[0] == mine[0] && h[1] == mine[1] && h[4] == mine[4] && h[5] == mine[5]
                    && (!op.isGather() || h[2] == mine[2]);
            if (!same) throw comm.abort("device collective mismatch: rank " + me + " called " + show(mine) + " but rank " + r
                    + " called " + show(h), null);
        }
        if (op.kind() == Exchange.Kind.SHIFT) {
            for (int r = 1; r < n; r++) {
                if (all[r][3] != all[r - 1][2]) {
                    throw comm.abort("device shift mismatch: rank " + r + " expects " + all[r][3] + " elements but rank " + (r - 1)
                            + " sends " + all[r - 1][2], null);
                }
            }
        }
        return all;
    }

    private static String show(int[] h) {
        return "#" + h[0] + " " + Exchange.Kind.values()[h[1]] + "(send " + h[2] + ", receive " + h[3] + ", " + h[4] + " parts of "
                + h[5] + "-byte elements)";
    }
}
