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
     * Runs {@code body} on {@code size} ranks and returns their results in rank order. If any
     * rank fails, the group is aborted (so no rank hangs) and the first failure is rethrown
     * with the others' attached as suppressed exceptions.
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
                        group.fail("rank " + comm.rank() + " failed: " + t, t);
                        throw t;
                    }
                }));
            }
            List<T> results = new ArrayList<>();
            RuntimeException first = null;
            long deadline = System.nanoTime() + jobTimeout.toNanos();
            for (Future<T> f : futures) {
                try {
                    results.add(f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
                } catch (ExecutionException e) {
                    RuntimeException wrapped = e.getCause() instanceof RuntimeException re ? re
                            : new CommunicationException(String.valueOf(e.getCause()), e.getCause());
                    if (first == null) first = wrapped; else if (wrapped != first) first.addSuppressed(wrapped);
                } catch (TimeoutException e) {
                    CommunicationException stuck = new CommunicationException(
                            "a rank did not finish within " + jobTimeout.toSeconds() + " s; aborted");
                    group.fail(stuck.getMessage(), null);
                    if (first == null) first = stuck; else first.addSuppressed(stuck);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CommunicationException("interrupted while waiting for ranks", e);
                }
            }
            if (first != null) throw first;
            return results;
        } finally {
            pool.shutdownNow();
        }
    }
}
