package org.apbj.parallel.comm;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Ranks as threads of one JVM, for tests: {@link #communicator(int)} gives rank r's view.
 * Each collective is a rendezvous: every rank posts its buffer, waits for all (bounded by the
 * timeout), copies what it needs, and waits again so nobody reuses a buffer still being read.
 * A timeout or an {@link Communicator#abort} fails the current and every later operation on
 * all ranks with the same cause.
 */
public final class InProcessGroup {

    /** {@code sent}: what a shift sends on (it may differ between ranks, so it is not compared). */
    private record Post(String op, ArrayKind kind, int count, Object array, int offset, int root, int sent) {
        Post(String op, ArrayKind kind, int count, Object array, int offset, int root) { this(op, kind, count, array, offset, root, 0); }
    }

    private final int size;
    private final long timeoutNanos;
    private final Post[] posts;
    private final boolean[] arrived;
    private int arrivedCount;
    private long phase;
    private CommunicationException failure;
    private RankFailure firstFailure;
    private long failedAtNanos;

    public InProcessGroup(int size, Duration timeout) {
        if (size < 1) throw new IllegalArgumentException("group size must be at least 1, got " + size);
        this.size = size;
        this.timeoutNanos = timeout.toNanos();
        this.posts = new Post[size];
        this.arrived = new boolean[size];
    }

    public InProcessGroup(int size) { this(size, CommTimeout.fromSystemProperty()); }

    public int size() { return size; }

    public Communicator communicator(int rank) {
        if (rank < 0 || rank >= size) throw new IllegalArgumentException("rank " + rank + " outside [0, " + size + ")");
        return new Member(rank);
    }

    /** Fails the group (first cause wins) and wakes every waiting rank. */
    synchronized CommunicationException fail(String reason, Throwable cause) {
        return fail(new RankFailure(-1, RankFailure.Cause.ERROR, reason), reason, cause);
    }

    /** Fails the group, recording which rank's failure it was (the first one wins). */
    synchronized CommunicationException fail(RankFailure why, String reason, Throwable cause) {
        if (failure == null) {
            failure = new CommunicationException(reason, cause);
            firstFailure = why;
            failedAtNanos = System.nanoTime();
        }
        notifyAll();
        return failure;
    }

    /** The failure that ended the group first, or null while none did. */
    synchronized RankFailure firstFailure() { return firstFailure; }

    /** When the group failed ({@link System#nanoTime()}), or empty while it has not. */
    synchronized java.util.OptionalLong failedAt() {
        return failure == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(failedAtNanos);
    }

    private synchronized void arrive(int rank, String op) {
        throwIfFailed(rank);
        long myPhase = phase;
        arrived[rank] = true;
        if (++arrivedCount == size) {
            arrivedCount = 0;
            java.util.Arrays.fill(arrived, false);
            phase++;
            notifyAll();
            return;
        }
        long deadline = System.nanoTime() + timeoutNanos;
        while (phase == myPhase) {
            throwIfFailed(rank);
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                List<Integer> missing = new ArrayList<>();
                for (int r = 0; r < size; r++) if (!arrived[r]) missing.add(r);
                String why = op + " timed out after " + Duration.ofNanos(timeoutNanos).toSeconds()
                        + " s waiting for rank(s) " + missing + " (dead or stuck); job aborted";
                throw fail(new RankFailure(rank, RankFailure.Cause.TIMEOUT, why), "rank " + rank + ": " + why, null);
            }
            try {
                wait(Math.max(1, left / 1_000_000), 0);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw fail("rank " + rank + ": interrupted in " + op, e);
            }
        }
    }

    private void throwIfFailed(int rank) {
        if (failure != null) {
            throw new CommunicationException("rank " + rank + ": job aborted: " + failure.getMessage(), failure);
        }
    }

    /** Posts, meets everyone, runs {@code read} over all posts, meets again. */
    private void exchange(int rank, Post mine, java.util.function.Consumer<Post[]> read) {
        synchronized (this) { posts[rank] = mine; }
        arrive(rank, mine.op());
        Post[] all;
        synchronized (this) { all = posts.clone(); }
        for (int r = 0; r < size; r++) {
            Post p = all[r];
            if (!p.op().equals(mine.op()) || p.kind() != mine.kind() || p.count() != mine.count() || p.root() != mine.root()) {
                throw fail("collective mismatch: rank " + rank + " called " + describe(mine) + " but rank " + r
                        + " called " + describe(p), null);
            }
        }
        try {
            read.accept(all);
        } finally {
            arrive(rank, mine.op() + " (completion)");
        }
    }

    private static String describe(Post p) {
        return p.op() + "(" + (p.kind() == null ? "" : p.kind() + "[" + p.count() + "]") + (p.root() >= 0 ? ", root " + p.root() : "") + ")";
    }

    private final class Member implements Communicator {
        private final int rank;

        Member(int rank) { this.rank = rank; }

        @Override public int rank() { return rank; }
        @Override public int size() { return size; }

        @Override
        public void allGather(Object send, int sendOffset, int count, Object recv, int recvOffset) {
            ArrayKind k = ArrayKind.check("allGather", send, sendOffset, count, recv, recvOffset, count * size);
            exchange(rank, new Post("allGather", k, count, send, sendOffset, -1), all -> {
                for (int r = 0; r < size; r++) {
                    System.arraycopy(all[r].array(), all[r].offset(), recv, recvOffset + r * count, count);
                }
            });
        }

        @Override
        public void broadcast(Object buf, int offset, int count, int root) {
            checkRoot(root);
            ArrayKind k = ArrayKind.check("broadcast", buf, offset, count, null, 0, 0);
            exchange(rank, new Post("broadcast", k, count, buf, offset, root), all -> {
                if (rank != root) System.arraycopy(all[root].array(), all[root].offset(), buf, offset, count);
            });
        }

        @Override
        public void ringShift(Object send, int sendOffset, Object recv, int recvOffset, int count) {
            ArrayKind k = ArrayKind.check("ringShift", send, sendOffset, count, recv, recvOffset, count);
            int from = (rank - 1 + size) % size;
            exchange(rank, new Post("ringShift", k, count, send, sendOffset, -1), all ->
                    System.arraycopy(all[from].array(), all[from].offset(), recv, recvOffset, count));
        }

        @Override
        public void shift(Object send, int sendOffset, int sendCount, Object recv, int recvOffset, int recvCount) {
            ArrayKind k = ArrayKind.check("shift", send, sendOffset, sendCount, recv, recvOffset, recvCount);
            if (rank == 0 && recvCount > 0) throw new IllegalArgumentException("shift: rank 0 has no predecessor to receive " + recvCount + " elements from");
            if (rank == size - 1 && sendCount > 0) throw new IllegalArgumentException("shift: the last rank has no successor to send " + sendCount + " elements to");
            // the count each rank posts is what it sends; the receiver checks it against what it expects
            exchange(rank, new Post("shift", k, -1, send, sendOffset, -1, sendCount), all -> {
                if (recvCount == 0) return;
                Post from = all[rank - 1];
                int sent = from.sent();
                if (sent != recvCount) {
                    throw fail("shift mismatch: rank " + rank + " expects " + recvCount + " elements but rank " + (rank - 1)
                            + " sends " + sent, null);
                }
                System.arraycopy(from.array(), from.offset(), recv, recvOffset, recvCount);
            });
        }

        @Override
        public void barrier() {
            exchange(rank, new Post("barrier", null, 0, null, 0, -1), all -> {});
        }

        @Override
        public RuntimeException abort(String reason, Throwable cause) {
            RankFailure why = cause != null ? RankFailure.of(rank, cause) : new RankFailure(rank, RankFailure.Cause.ERROR, reason);
            throw fail(why, "rank " + rank + " aborted the job: " + reason, cause);
        }

        private void checkRoot(int root) {
            if (root < 0 || root >= size) throw new IllegalArgumentException("root " + root + " outside [0, " + size + ")");
        }

        @Override public String toString() { return "in-process rank " + rank + "/" + size; }
    }
}
