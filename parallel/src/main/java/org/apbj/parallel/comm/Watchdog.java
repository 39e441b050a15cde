package org.apbj.parallel.comm;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Bounds blocking calls that cannot time out themselves (MPJ Express collectives): each guarded
 * call arms a timer; if the call has not returned when it fires, {@code onTimeout} receives a
 * message naming the rank and the operation (it ends the job; the blocked call never returns).
 */
public final class Watchdog implements AutoCloseable {

    @FunctionalInterface
    public interface BlockingCall {
        void run() throws Exception;
    }

    private final int rank;
    private volatile Duration timeout;
    private final Consumer<String> onTimeout;
    private final ScheduledThreadPoolExecutor timer;

    public Watchdog(int rank, Duration timeout, Consumer<String> onTimeout) {
        this.rank = rank;
        this.timeout = timeout;
        this.onTimeout = onTimeout;
        this.timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "apbj-watchdog-rank-" + rank);
            t.setDaemon(true);   // never keeps a finished rank process alive
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
    }

    public Duration timeout() { return timeout; }

    /** Changes the bound of the calls guarded from now on. */
    public void setTimeout(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        this.timeout = timeout;
    }

    /** Runs {@code call}; checked exceptions come back as CommunicationException naming the operation. */
    public void guard(String operation, BlockingCall call) {
        Duration bound = timeout;
        ScheduledFuture<?> alarm = timer.schedule(() -> onTimeout.accept("rank " + rank + ": " + operation
                + " did not complete within " + bound.toSeconds() + " s (--comm-timeout, -D" + CommTimeout.PROPERTY
                + "): another rank is dead or stuck; ending the job"), bound.toNanos(), TimeUnit.NANOSECONDS);
        try {
            call.run();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new CommunicationException("rank " + rank + ": " + operation + " failed: " + e, e);
        } finally {
            alarm.cancel(false);
        }
    }

    @Override
    public void close() { timer.shutdownNow(); }
}
