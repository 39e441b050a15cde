package org.apbj.parallel.transfer;

import java.time.Duration;
import org.apbj.parallel.comm.Communicator;

/**
 * Ranks that are threads of one JVM: each rank leaves its send arrays (and the event its data is
 * ready at) on the {@link SharedBoard}, meets the others in an MPJ Express collective, copies
 * what it needs straight from their device memory on its communication stream, waits until the
 * copies are done and meets them again, after which every send array may be reused. No host
 * memory is involved.
 */
final class DevicePath implements PathRunner {
    private final Communicator comm;
    private final Lane lane;
    private final long timeoutNanos;
    private final String jobKey;

    DevicePath(Communicator comm, Lane lane, Duration timeout, String jobKey) {
        this.comm = comm;
        this.lane = lane;
        this.timeoutNanos = timeout.toNanos();
        this.jobKey = jobKey;
    }

    private String key(long seq, int rank) { return jobKey + "/" + seq + "/" + rank; }

    @Override
    public void run(Exchange op, long seq) {
        int me = comm.rank();
        lane.sideAfterStart();   // the receive arrays are no longer read by earlier compute
        Object[] post = new Object[1 + op.parts().size()];
        post[0] = lane.startHandle();
        for (int i = 0; i < op.parts().size(); i++) {
            Exchange.Part p = op.parts().get(i);
            post[1 + i] = lane.export(p.send(), op.sendOffset(p));
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
                    lane.pull((Object[]) theirs[1 + i], p.recv(), op.recvOffset(p, src), bytes);
                }
            }
            if (!lane.finishSide(timeoutNanos)) {
                throw comm.abort("rank " + me + ": the device copies of " + op.describe() + " did not finish within "
                        + Duration.ofNanos(timeoutNanos).toSeconds() + " s", null);
            }
            comm.barrier();   // every rank has read what it needed from the others' send arrays
        } finally {
            SharedBoard.remove(mine);
        }
    }
}
