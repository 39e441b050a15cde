package org.apbj.parallel.transfer;

import org.apbj.parallel.comm.Communicator;

/**
 * Ranks that are threads of one JVM: each rank leaves its send arrays (and the events its data is
 * ready at and its copies are done at) on the {@link SharedBoard}, meets the others in an MPJ
 * Express collective, queues copies of what it needs straight from their device memory on its
 * communication stream (each after the sender's start event), marks their end and meets the
 * others again. Nothing waits on the host for the device: the compute stream waits for this
 * rank's done event before it reads the receive arrays, and for its readers' done events before
 * it overwrites the send arrays ({@link PathRunner.Landing}). No host memory is involved.
 */
final class DevicePath implements PathRunner {
    private final Communicator comm;
    private final Lane lane;
    private final String jobKey;

    DevicePath(Communicator comm, Lane lane, String jobKey) {
        this.comm = comm;
        this.lane = lane;
        this.jobKey = jobKey;
    }

    private String key(long seq, int rank) { return jobKey + "/" + seq + "/" + rank; }

    @Override
    public Landing run(Exchange op, long seq) {
        int me = comm.rank();
        lane.sideAfterStart();   // the receive arrays are no longer read by earlier compute
        Object[] post = new Object[2 + op.parts().size()];
        post[0] = lane.startHandle();
        post[1] = lane.doneHandle();
        for (int i = 0; i < op.parts().size(); i++) {
            Exchange.Part p = op.parts().get(i);
            post[2 + i] = lane.export(p.send(), op.sendOffset(p));
        }
        String mine = key(seq, me);
        SharedBoard.put(mine, post);
        try {
            Rendezvous.agree(comm, op, seq);
            for (int src : op.sources(me, comm.size())) {
                long bytes = op.bytesFrom(src);
                if (src == me) {
                    for (Exchange.Part p : op.parts()) lane.local(p.recv(), op.recvOffset(p, me), p.send(), op.sendOffset(p), bytes);
                    continue;
                }
                Object[] theirs = SharedBoard.get(key(seq, src));
                lane.sideAfterPeer((Long) theirs[0]);
                for (int i = 0; i < op.parts().size(); i++) {
                    Exchange.Part p = op.parts().get(i);
                    lane.pull((Object[]) theirs[2 + i], p.recv(), op.recvOffset(p, src), bytes);
                }
            }
            lane.recordDone();
            int[] readers = op.readers(me, comm.size());
            long[] readersDone = new long[readers.length];
            for (int i = 0; i < readers.length; i++) readersDone[i] = (Long) SharedBoard.get(key(seq, readers[i]))[1];
            // every rank has queued its copies and set its done event: a wait for it from now on is a wait for this collective
            comm.barrier();
            return new Landing(lane.doneHandle(), readersDone);
        } finally {
            SharedBoard.remove(mine);
        }
    }
}
