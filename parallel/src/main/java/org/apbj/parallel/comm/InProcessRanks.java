package org.apbj.parallel.comm;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Runs one body per rank on its own thread over an {@link InProcessGroup}; for tests and simulations. */
public final class InProcessRanks {

    @FunctionalInterface
    public interface RankBody<T> {
        T run(Communicator comm) throws Exception;
    }

    private InProcessRanks() {}

    /**
     * One exception for the job: the failure that ended it first, naming its rank, with that
     * rank's exception as the cause and the other ranks' as suppressed.
     */
    private static RankFailedException failed(RankFailure first, Throwable[] byRank) {
        List<Throwable> all = java.util.Arrays.stream(byRank).filter(java.util.Objects::nonNull).toList();
        Throwable origin = first != null && first.rank() >= 0 && byRank[first.rank()] != null ? byRank[first.rank()] : all.getFirst();
        RankFailure why = first != null ? first : RankFailure.of(-1, origin);
        RankFailedException e = new RankFailedException(why, origin, null);
        for (Throwable t : all) if (t != origin) e.addSuppressed(t);
        return e;
    }

    /** Ranks still busy this long after the group failed (outside any collective) are given up on. */
    static final long GRACE_NANOS = TimeUnit.SECONDS.toNanos(2);

    /** The rank's result, waiting until the deadline, or until a short grace period after the group failed. */
    private static <T> T await(Future<T> f, InProcessGroup group, long deadline)
            throws ExecutionException, TimeoutException, InterruptedException {
        while (true) {
            long until = deadline;
            var failedAt = group.failedAt();
            if (failedAt.isPresent()) until = Math.min(until, failedAt.getAsLong() + GRACE_NANOS);
            long left = until - System.nanoTime();
            if (left <= 0) throw new TimeoutException();
            try {
                return f.get(Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                // look again: the group may have failed meanwhile
            }
        }
    }

    /**
     * Runs {@code body} on {@code size} ranks and returns their results in rank order. If any
     * rank fails, the group is aborted (so no rank hangs) and a {@link RankFailedException}
     * names the rank whose failure came first, with its exception as the cause and the other
     * ranks' attached as suppressed exceptions.
     */
    public static <T> List<T> run(int size, Duration commTimeout, RankBody<T> body) {
        return run(size, commTimeout, commTimeout.multipliedBy(2).plusSeconds(5), body);
    }

    /**
     * As {@link #run(int, Duration, RankBody)}, with its own bound on the whole run (a job of
     * many requests takes longer than any one collective may wait).
     */
    public static <T> List<T> run(int size, Duration commTimeout, Duration jobTimeout, RankBody<T> body) {
        InProcessGroup group = new InProcessGroup(size, commTimeout);
        ExecutorService pool = Executors.newFixedThreadPool(size, r -> {
            Thread t = new Thread(r, "in-process-rank");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int r = 0; r < size; r++) {
                Communicator comm = group.communicator(r);
                futures.add(pool.submit(() -> {
                    Thread.currentThread().setName("in-process-rank-" + comm.rank());
                    try {
                        return body.run(comm);
                    } catch (Throwable t) {
                        group.fail(RankFailure.of(comm.rank(), t), "rank " + comm.rank() + " failed: " + t, t);
                        throw t;
                    }
                }));
            }
            List<T> results = new ArrayList<>();
            Throwable[] failures = new Throwable[size];
            long deadline = System.nanoTime() + jobTimeout.toNanos();
            for (int r = 0; r < size; r++) {
                Future<T> f = futures.get(r);
                try {
                    results.add(await(f, group, deadline));
                } catch (ExecutionException e) {
                    failures[r] = e.getCause();
                } catch (TimeoutException e) {
                    boolean afterFailure = group.failedAt().isPresent();
                    String why = afterFailure ? "still busy after the job failed; abandoned"
                            : "did not finish within " + jobTimeout.toSeconds() + " s; aborted";
                    group.fail(new RankFailure(r, RankFailure.Cause.TIMEOUT, why), "rank " + r + " " + why, null);
                    failures[r] = new CommunicationException("rank " + r + " " + why);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CommunicationException("interrupted while waiting for ranks", e);
                }
            }
            if (java.util.Arrays.stream(failures).anyMatch(java.util.Objects::nonNull)) throw failed(group.firstFailure(), failures);
            return results;
        } finally {
            pool.shutdownNow();
        }
    }
}
