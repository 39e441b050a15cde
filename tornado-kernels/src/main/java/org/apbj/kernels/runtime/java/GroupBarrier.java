package org.apbj.kernels.runtime.java;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

/**
 * A reusable barrier for the work-items of a group (or the lanes of a warp) that never hangs:
 * a work-item reaching it after another one returned from the kernel, or one returning while
 * others wait, is a divergent barrier and fails at once; waiting longer than the timeout fails
 * too. Once broken, every waiter and later arrival gets {@link Broken}.
 *
 * <p>Lock-free: arrivals count up, waiters park, and the last arrival advances the generation
 * and unparks them (no lock hand-off convoy among hundreds of virtual threads). Waiter slots
 * alternate between two arrays by generation, so a fast thread arriving at the next barrier
 * cannot overwrite a slot the previous release still reads.
 */
final class GroupBarrier {

    /** Thrown to waiters of a barrier that another work-item broke; not the root cause. */
    static final class Broken extends RuntimeException {
        Broken(String message) { super(message, null, false, false); }
    }

    private final String name;
    private final int parties;
    private final long timeoutNanos;
    private final AtomicInteger arrived = new AtomicInteger();
    private final AtomicInteger exited = new AtomicInteger();
    private volatile long generation;
    private final AtomicReferenceArray<Thread>[] waiters;
    private final AtomicReference<RuntimeException> cause = new AtomicReference<>();

    @SuppressWarnings("unchecked")
    GroupBarrier(String name, int parties, long timeoutNanos) {
        this.name = name;
        this.parties = parties;
        this.timeoutNanos = timeoutNanos;
        this.waiters = new AtomicReferenceArray[] {new AtomicReferenceArray<Thread>(parties), new AtomicReferenceArray<Thread>(parties)};
    }

    /** Waits for all parties; {@code who} names the arriving work-item for error messages. */
    void await(String who) {
        if (parties == 1) return;
        checkBroken();
        if (exited.get() > 0) {
            throw breakWith(new DivergentBarrierException(who + " reached the " + name + " after " + exited.get()
                    + " work-item(s) of the same group had already returned from the kernel: every work-item"
                    + " must reach each barrier (and each warp operation) the same number of times"));
        }
        long gen = generation;
        AtomicReferenceArray<Thread> slots = waiters[(int) (gen & 1)];
        int slot = arrived.getAndIncrement();
        if (slot == parties - 1) {
            arrived.set(0);
            generation = gen + 1;
            for (int i = 0; i < parties - 1; i++) {
                Thread t = slots.get(i);
                if (t != null) LockSupport.unpark(t);
            }
            return;
        }
        slots.set(slot, Thread.currentThread());
        long deadline = System.nanoTime() + timeoutNanos;
        while (generation == gen) {
            checkBroken();
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw breakWith(new DivergentBarrierException(who + " waited " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos)
                        + " ms at the " + name + " for " + (parties - arrived.get()) + " of " + parties
                        + " work-items that never arrived (a barrier or warp operation inside divergent control"
                        + " flow, or a work-item stuck in a loop); raise the timeout with -Dapbj.java.barrierTimeoutMs"));
            }
            LockSupport.parkNanos(this, left);
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw breakWith(new IllegalStateException(who + " interrupted at the " + name));
            }
        }
    }

    private void checkBroken() {
        RuntimeException c = cause.get();
        if (c != null) throw new Broken(name + " broken: " + c.getMessage());
    }

    /** A work-item returned from the kernel (or failed): others still waiting can never be released. */
    void exit(String who) {
        if (parties == 1) return;
        exited.incrementAndGet();
        int waiting = arrived.get();
        if (waiting > 0) {
            breakWith(new DivergentBarrierException(who + " returned from the kernel while " + waiting
                    + " work-item(s) of the same group wait at the " + name + ": every work-item must reach each"
                    + " barrier (and each warp operation) the same number of times"));
        }
    }

    /** Breaks the barrier because a work-item failed; waiters wake with {@link Broken}. */
    void abort(RuntimeException failure) { breakWith(failure); }

    private RuntimeException breakWith(RuntimeException e) {
        cause.compareAndSet(null, e);
        for (AtomicReferenceArray<Thread> slots : waiters) {
            for (int i = 0; i < slots.length(); i++) {
                Thread t = slots.get(i);
                if (t != null) LockSupport.unpark(t);
            }
        }
        return e;
    }

    /** The first failure recorded here, or null. */
    RuntimeException cause() { return cause.get(); }
}
