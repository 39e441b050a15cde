package org.apbj.kernels.runtime.java;

import java.util.concurrent.TimeUnit;

/**
 * The named barriers 1..15 of one group (bar.sync / bar.arrive with a thread count): each
 * completes a phase when the given number of work-items arrived, counting those that only
 * arrive; the waiting ones are released then. Few work-items use them at once (warpgroups
 * handing over), so a monitor suffices. Waits time out instead of hanging, and a failure in
 * the group wakes every waiter.
 */
final class NamedBarriers {
    private static final int IDS = 16;

    private final String name;
    private final int groupSize;
    private final long timeoutNanos;
    private final int[] arrived = new int[IDS];
    private final int[] expected = new int[IDS];
    private final long[] phase = new long[IDS];
    private RuntimeException cause;

    NamedBarriers(String name, int groupSize, long timeoutNanos) {
        this.name = name;
        this.groupSize = groupSize;
        this.timeoutNanos = timeoutNanos;
    }

    /** One arrival of {@code who} on barrier {@code id} of a phase of {@code threads}; waits for the phase if asked. */
    synchronized void arrive(String who, int id, int threads, boolean waits) {
        if (cause != null) throw new GroupBarrier.Broken("named barrier " + id + " of " + name + " broken: " + cause.getMessage());
        if (threads > groupSize) {
            throw breakWith(new DivergentBarrierException(who + " uses named barrier " + id + " with " + threads
                    + " threads but the group has only " + groupSize + " work-items: count only the warps that take part"));
        }
        if (arrived[id] == 0) {
            expected[id] = threads;
        } else if (expected[id] != threads) {
            throw breakWith(new DivergentBarrierException(who + " arrived on named barrier " + id + " of " + name + " with "
                    + threads + " threads while the phase in progress expects " + expected[id]
                    + ": every use of one id within a phase must give the same count"));
        }
        long mine = phase[id];
        if (++arrived[id] == threads) {
            arrived[id] = 0;
            phase[id] = mine + 1;
            notifyAll();
            return;
        }
        if (!waits) return;
        long deadline = System.nanoTime() + timeoutNanos;
        while (phase[id] == mine) {
            if (cause != null) throw new GroupBarrier.Broken("named barrier " + id + " of " + name + " broken: " + cause.getMessage());
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw breakWith(new DivergentBarrierException(who + " waited " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos)
                        + " ms at named barrier " + id + " of " + name + " for " + (threads - arrived[id]) + " of " + threads
                        + " work-items that never arrived (a wrong thread count, or a warp that skips the barrier);"
                        + " raise the timeout with -Dapbj.java.barrierTimeoutMs"));
            }
            try {
                wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw breakWith(new IllegalStateException(who + " interrupted at named barrier " + id + " of " + name));
            }
        }
    }

    /** A work-item failed: wake every waiter with {@link GroupBarrier.Broken}. */
    synchronized void abort(RuntimeException failure) { breakWith(failure); }

    private RuntimeException breakWith(RuntimeException e) {
        if (cause == null) cause = e;
        notifyAll();
        return e;
    }

    /** The first failure recorded here, or null. */
    synchronized RuntimeException cause() { return cause; }
}
