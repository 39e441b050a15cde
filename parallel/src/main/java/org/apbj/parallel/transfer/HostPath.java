package org.apbj.parallel.transfer;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apbj.parallel.comm.Communicator;

/**
 * Through host memory and MPJ Express, the path between machines: the data is cut into pieces
 * ({@value #CHUNK_PROPERTY}, default 4 MiB); while MPJ moves piece i, the device copies piece
 * i+1 into (pinned) host staging and piece i−1 from it back into the receive arrays, so that
 * device→host, sending and host→device overlap.
 */
final class HostPath implements PathRunner {
    static final String CHUNK_PROPERTY = "apbj.comm.chunk.bytes";
    private static final long DEFAULT_CHUNK = 4L << 20;

    private final Communicator comm;
    private final Lane lane;
    private final long timeoutNanos;
    private final long chunk;
    private byte[] out = new byte[0], in = new byte[0];

    HostPath(Communicator comm, Lane lane, Duration timeout) {
        this.comm = comm;
        this.lane = lane;
        this.timeoutNanos = timeout.toNanos();
        long c = Long.getLong(CHUNK_PROPERTY, DEFAULT_CHUNK);
        if (c < 1024 || c > (1L << 30)) throw new IllegalArgumentException("-D" + CHUNK_PROPERTY + "=" + c + " must be in [1 KiB, 1 GiB]");
        this.chunk = c;
    }

    /** A piece: part, byte offset in the part's per-rank data, bytes sent and received, staging offsets. */
    private record Piece(int part, long offset, int sent, int received, long sendStage, long recvStage) {}

    @Override
    public Landing run(Exchange op, long seq) {
        int[][] headers = Rendezvous.agree(comm, op, seq);
        lane.sideAfterStart();
        if (op.isGather()) gather(op);   // a prefix gather moves every part: what is past the prefix is not read
        else shift(op, headers);
        if (!lane.finishSide(timeoutNanos)) {
            throw comm.abort("rank " + comm.rank() + ": the host→device copies of " + op.describe() + " did not finish within "
                    + Duration.ofNanos(timeoutNanos).toSeconds() + " s", null);
        }
        return Landing.at(lane.doneHandle());   // the send arrays were read by this rank's own device→host copies, done by now
    }

    private void gather(Exchange op) {
        int n = comm.size();
        long bytes = op.sendBytes();
        int parts = op.parts().size();
        List<Piece> pieces = new ArrayList<>();
        for (int p = 0; p < parts; p++) {
            for (long o = 0; o < bytes; o += chunk) {
                int len = (int) Math.min(chunk, bytes - o);
                pieces.add(new Piece(p, o, len, len, p * bytes + o, (long) p * n * bytes));
            }
        }
        MemorySegment sendStage = lane.staging(0, parts * bytes);
        MemorySegment recvStage = lane.staging(1, (long) parts * n * bytes);
        run(op, pieces, sendStage, (piece) -> {
            comm.allGather(out, 0, piece.sent(), in, 0);
            Exchange.Part part = op.parts().get(piece.part());
            for (int r = 0; r < n; r++) {
                long at = piece.recvStage() + (long) r * bytes + piece.offset();
                MemorySegment.copy(in, r * piece.sent(), recvStage, ValueLayout.JAVA_BYTE, at, piece.sent());
                lane.fromHost(part.recv(), op.recvOffset(part, r) + piece.offset(), recvStage.asSlice(at, piece.sent()), piece.sent());
            }
        });
    }

    /** Every rank makes as many MPJ calls as the rank with the most to move, so the calls pair up. */
    private void shift(Exchange op, int[][] headers) {
        int eb = op.elementBytes();
        long most = 0;
        for (int[] h : headers) most = Math.max(most, (long) Math.max(h[2], h[3]) * eb);
        long sendBytes = op.sendBytes(), recvBytes = op.recvBytes();
        int parts = op.parts().size();
        List<Piece> pieces = new ArrayList<>();
        for (int p = 0; p < parts; p++) {
            for (long o = 0; o < most; o += chunk) {
                int s = (int) Math.max(0, Math.min(chunk, sendBytes - o));
                int r = (int) Math.max(0, Math.min(chunk, recvBytes - o));
                pieces.add(new Piece(p, o, s, r, p * sendBytes + o, p * recvBytes + o));
            }
        }
        MemorySegment sendStage = lane.staging(0, parts * sendBytes);
        MemorySegment recvStage = lane.staging(1, parts * recvBytes);
        run(op, pieces, sendStage, piece -> {
            comm.shift(out, 0, piece.sent(), in, 0, piece.received());
            if (piece.received() == 0) return;
            Exchange.Part part = op.parts().get(piece.part());
            MemorySegment.copy(in, 0, recvStage, ValueLayout.JAVA_BYTE, piece.recvStage(), piece.received());
            lane.fromHost(part.recv(), op.recvOffset(part, comm.rank() - 1) + piece.offset(),
                    recvStage.asSlice(piece.recvStage(), piece.received()), piece.received());
        });
    }

    private interface Send {
        void accept(Piece piece);
    }

    /** Device→host of piece i+1 is queued before piece i is sent; each piece's bytes are read once its copy is done. */
    private void run(Exchange op, List<Piece> pieces, MemorySegment sendStage, Send send) {
        int n = comm.size();
        int most = (int) Math.min(chunk, Integer.MAX_VALUE);
        if (out.length < most) out = new byte[most];
        if (in.length < (long) most * (op.isGather() ? n : 1)) in = new byte[most * (op.isGather() ? n : 1)];
        if (!pieces.isEmpty()) toHost(op, pieces.getFirst(), sendStage, 0);
        for (int i = 0; i < pieces.size(); i++) {
            Piece piece = pieces.get(i);
            if (i + 1 < pieces.size()) toHost(op, pieces.get(i + 1), sendStage, (i + 1) % 2);
            if (!lane.awaitSide(i % 2, timeoutNanos)) {
                throw comm.abort("rank " + comm.rank() + ": the device→host copy of " + op.describe() + " did not finish within "
                        + Duration.ofNanos(timeoutNanos).toSeconds() + " s", null);
            }
            if (piece.sent() > 0) MemorySegment.copy(sendStage, ValueLayout.JAVA_BYTE, piece.sendStage(), out, 0, piece.sent());
            send.accept(piece);
        }
    }

    private void toHost(Exchange op, Piece piece, MemorySegment sendStage, int slot) {
        if (piece.sent() > 0) {
            Exchange.Part part = op.parts().get(piece.part());
            lane.toHost(part.send(), op.sendOffset(part) + piece.offset(), sendStage.asSlice(piece.sendStage(), piece.sent()), piece.sent());
        }
        lane.recordSide(slot);
    }
}
