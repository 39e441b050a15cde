package org.apbj.parallel.comm;

import java.time.Duration;
import java.util.function.Consumer;
import mpi.Datatype;
import mpi.Intracomm;
import mpi.MPI;
import mpi.MPIException;

/**
 * {@link Communicator} over MPJ Express {@code MPI.COMM_WORLD}.
 *
 * <p>MPJ calls block without a timeout, so each one runs under a {@link Watchdog}: when it
 * fires, the rank prints the cause and exits with {@link ExitCodes#COMM_TIMEOUT} (with the
 * multicore device all ranks share the JVM and end together; with niodev every other rank's
 * own watchdog fires in turn). Large transfers are cut into pieces of at most
 * {@value #MAX_MESSAGE_PROPERTY} bytes (default 64 MiB) per collective: on the multicore
 * device a single message above about 380 MiB fails and then hangs.
 */
public final class MpjCommunicator implements Communicator {

    public static final String MAX_MESSAGE_PROPERTY = "apbj.comm.max.message.bytes";
    public static final long DEFAULT_MAX_MESSAGE_BYTES = 64L << 20;
    private static final int TAG_RING = 17;
    private static final int TAG_SHIFT = 18;

    /** What MPI.Init left of the command line, and the communicator. */
    public record Session(MpjCommunicator communicator, String[] appArgs) {}

    private final Intracomm comm;
    private final int rank;
    private final int size;
    private final long maxMessageBytes;
    private final Watchdog watchdog;

    private MpjCommunicator(Intracomm comm, Duration timeout, long maxMessageBytes, Consumer<String> onTimeout) throws MPIException {
        this.comm = comm;
        this.rank = comm.Rank();
        this.size = comm.Size();
        this.maxMessageBytes = maxMessageBytes;
        this.watchdog = new Watchdog(rank, timeout, onTimeout);
    }

    /**
     * MPI.Init with the arguments mpjrun passed to main(); timeouts and piece size from system
     * properties; a timeout ends the process.
     */
    public static Session init(String[] mainArgs) {
        try {
            String[] rest = MPI.Init(mainArgs);
            long max = Long.getLong(MAX_MESSAGE_PROPERTY, DEFAULT_MAX_MESSAGE_BYTES);
            if (max < 16) throw new IllegalArgumentException("-D" + MAX_MESSAGE_PROPERTY + "=" + max + " is too small (at least 16 bytes)");
            int rank = MPI.COMM_WORLD.Rank();
            MpjCommunicator c = new MpjCommunicator(MPI.COMM_WORLD, CommTimeout.fromSystemProperty(), max,
                    msg -> exit(new RankFailure(rank, RankFailure.Cause.TIMEOUT, msg.replaceFirst("^rank \\d+: ", "")), null));
            return new Session(c, rest);
        } catch (MPIException e) {
            throw new CommunicationException("MPI.Init failed: " + e, e);
        }
    }

    /**
     * Ends this process (all ranks, with the multicore device) for {@code failure}: prints it on
     * stderr, as a line for people ("apbj: rank R: message") and as the marked line a launcher
     * looks for, then the trace, and exits with the status of its cause.
     */
    public static void exit(RankFailure failure, Throwable trace) {
        exit(failure, trace, "apbj: " + failure.describe());
    }

    private static void exit(RankFailure failure, Throwable trace, String forPeople) {
        synchronized (System.err) {
            System.err.println(forPeople);
            failure.print(System.err, trace);
        }
        System.out.flush();
        System.exit(failure.cause().exitStatus());
    }

    /** Bounds every later collective by {@code timeout} (overrides -D{@value CommTimeout#PROPERTY}). */
    public void setTimeout(Duration timeout) { watchdog.setTimeout(timeout); }

    @Override public int rank() { return rank; }
    @Override public int size() { return size; }

    private static Datatype type(ArrayKind k) {
        return switch (k) {
            case FLOAT -> MPI.FLOAT;
            case SHORT -> MPI.SHORT;
            case INT -> MPI.INT;
            case BYTE -> MPI.BYTE;
        };
    }

    /** Elements per piece so that one collective moves at most maxMessageBytes in total. */
    private int piece(ArrayKind k, int count, int ranksInvolved) {
        long perElement = (long) k.bytes * ranksInvolved;
        long p = Math.max(1, maxMessageBytes / perElement);
        return (int) Math.min(count, p);
    }

    @Override
    public void allGather(Object send, int sendOffset, int count, Object recv, int recvOffset) {
        ArrayKind k = ArrayKind.check("allGather", send, sendOffset, count, recv, recvOffset, count * size);
        Datatype t = type(k);
        int piece = piece(k, count, size);
        watchdog.guard("allGather of " + size + "x" + count + " " + k, () -> {
            if (count == 0) {
                comm.Barrier();
            } else if (piece == count) {
                comm.Allgather(send, sendOffset, count, t, recv, recvOffset, count, t);
            } else {
                int[] counts = new int[size];
                int[] displs = new int[size];
                for (int start = 0; start < count; start += piece) {
                    int c = Math.min(piece, count - start);
                    for (int r = 0; r < size; r++) {
                        counts[r] = c;
                        displs[r] = r * count + start;
                    }
                    comm.Allgatherv(send, sendOffset + start, c, t, recv, recvOffset, counts, displs, t);
                }
            }
        });
    }

    @Override
    public void broadcast(Object buf, int offset, int count, int root) {
        if (root < 0 || root >= size) throw new IllegalArgumentException("root " + root + " outside [0, " + size + ")");
        ArrayKind k = ArrayKind.check("broadcast", buf, offset, count, null, 0, 0);
        Datatype t = type(k);
        int piece = piece(k, count, 1);
        watchdog.guard("broadcast of " + count + " " + k + " from rank " + root, () -> {
            for (int start = 0; start < count; start += piece) {
                comm.Bcast(buf, offset + start, Math.min(piece, count - start), t, root);
            }
        });
    }

    @Override
    public void ringShift(Object send, int sendOffset, Object recv, int recvOffset, int count) {
        ArrayKind k = ArrayKind.check("ringShift", send, sendOffset, count, recv, recvOffset, count);
        if (size == 1) {
            System.arraycopy(send, sendOffset, recv, recvOffset, count);
            return;
        }
        Datatype t = type(k);
        int to = (rank + 1) % size;
        int from = (rank - 1 + size) % size;
        int piece = piece(k, count, 2);
        watchdog.guard("ring shift of " + count + " " + k + " (to rank " + to + ", from rank " + from + ")", () -> {
            for (int start = 0; start < count; start += piece) {
                int c = Math.min(piece, count - start);
                comm.Sendrecv(send, sendOffset + start, c, t, to, TAG_RING, recv, recvOffset + start, c, t, from, TAG_RING);
            }
        });
    }

    @Override
    public void shift(Object send, int sendOffset, int sendCount, Object recv, int recvOffset, int recvCount) {
        ArrayKind k = ArrayKind.check("shift", send, sendOffset, sendCount, recv, recvOffset, recvCount);
        if (rank == 0 && recvCount > 0) throw new IllegalArgumentException("shift: rank 0 has no predecessor to receive " + recvCount + " elements from");
        if (rank == size - 1 && sendCount > 0) throw new IllegalArgumentException("shift: the last rank has no successor to send " + sendCount + " elements to");
        Datatype t = type(k);
        int to = rank + 1, from = rank - 1;
        int piece = piece(k, Math.max(1, Math.max(sendCount, recvCount)), 2);
        watchdog.guard("shift of " + sendCount + " " + k + " to rank " + to + ", " + recvCount + " from rank " + from, () -> {
            int total = Math.max(sendCount, recvCount);
            for (int start = 0; start < total; start += piece) {
                int s = Math.max(0, Math.min(piece, sendCount - start));
                int r = Math.max(0, Math.min(piece, recvCount - start));
                if (s > 0 && r > 0) comm.Sendrecv(send, sendOffset + start, s, t, to, TAG_SHIFT, recv, recvOffset + start, r, t, from, TAG_SHIFT);
                else if (s > 0) comm.Send(send, sendOffset + start, s, t, to, TAG_SHIFT);
                else if (r > 0) comm.Recv(recv, recvOffset + start, r, t, from, TAG_SHIFT);
            }
        });
    }

    @Override
    public void barrier() {
        watchdog.guard("barrier", comm::Barrier);
    }

    @Override
    public RuntimeException abort(String reason, Throwable cause) {
        RankFailure f = cause != null ? RankFailure.of(rank, cause) : new RankFailure(rank, RankFailure.Cause.ERROR, reason);
        exit(f, cause, "apbj: rank " + rank + " aborts the job: " + reason);
        return new CommunicationException(reason, cause);   // not reached
    }

    /** MPI.Finalize (under the watchdog: it synchronises with the other ranks). */
    @Override
    public void close() {
        try {
            watchdog.guard("MPI.Finalize", MPI::Finalize);
        } finally {
            watchdog.close();
        }
    }

    @Override public String toString() { return "MPJ Express rank " + rank + "/" + size; }
}
