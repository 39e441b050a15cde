package org.apbj.kernels.runtime.java;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A reusable barrier for the work-items of a group (or the lanes of a warp) that never hangs:
 * a work-item reaching it after another one returned from the kernel, or one returning while
 * others wait, is a divergent barrier and fails at once; waiting longer than the timeout fails
 * too. Once broken, every waiter and later arrival gets {@link Broken}.
 */
final class GroupBarrier {

    /** Thrown to waiters of a barrier that another work-item broke; not the root cause. */
    static final class Broken extends RuntimeException {
        Broken(String message) { super(message, null, false, false); }
    }

    private final String name;
    private final int parties;
    private final long timeoutNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition tripped = lock.newCondition();
    private int arrived;
    private int exited;
    private long generation;
    private RuntimeException cause;

    GroupBarrier(String name, int parties, long timeoutNanos) {
        this.name = name;
        this.parties = parties;
        this.timeoutNanos = timeoutNanos;
    }

    /** Waits for all parties; {@code who} names the arriving work-item for error messages. */
    void await(String who) {
        if (parties == 1) return;
        lock.lock();
        try {
            if (cause != null) throw new Broken(name + " broken: " + cause.getMessage());
            if (exited > 0) {
                throw breakWith(new DivergentBarrierException(who + " reached the " + name + " after " + exited
                        + " work-item(s) of the same group had already returned from the kernel: every work-item"
                        + " must reach each barrier (and each warp operation) the same number of times"));
            }
            long gen = generation;
            if (++arrived == parties) {
                arrived = 0;
                generation++;
                tripped.signalAll();
                return;
            }
            long remaining = timeoutNanos;
            while (gen == generation && cause == null) {
                if (remaining <= 0) {
                    throw breakWith(new DivergentBarrierException(who + " waited " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos)
                            + " ms at the " + name + " for " + (parties - arrived) + " of " + parties
                            + " work-items that never arrived (a barrier or warp operation inside divergent control"
                            + " flow, or a work-item stuck in a loop); raise the timeout with -Dapbj.java.barrierTimeoutMs"));
                }
                try {
                    remaining = tripped.awaitNanos(remaining);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw breakWith(new IllegalStateException(who + " interrupted at the " + name, e));
                }
            }
            if (gen == generation) throw new Broken(name + " broken: " + cause.getMessage());
        } finally {
            lock.unlock();
        }
    }

    /** A work-item returned from the kernel (or failed): others still waiting can never be released. */
    void exit(String who) {
        if (parties == 1) return;
        lock.lock();
        try {
            exited++;
            if (arrived > 0 && cause == null) {
                breakWith(new DivergentBarrierException(who + " returned from the kernel while " + arrived
                        + " work-item(s) of the same group wait at the " + name + ": every work-item must reach each"
                        + " barrier (and each warp operation) the same number of times"));
            }
        } finally {
            lock.unlock();
        }
    }

    /** Breaks the barrier because a work-item failed; waiters wake with {@link Broken}. */
    void abort(RuntimeException failure) {
        lock.lock();
        try {
            breakWith(failure);
        } finally {
            lock.unlock();
        }
    }

    private RuntimeException breakWith(RuntimeException e) {
        if (cause == null) cause = e;
        tripped.signalAll();
        return e;
    }

    /** The first failure recorded here, or null. */
    RuntimeException cause() {
        lock.lock();
        try {
            return cause;
        } finally {
            lock.unlock();
        }
    }
}
