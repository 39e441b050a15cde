package org.apbj.kernels.api;

/**
 * Asynchronous transaction barriers in shared memory (PTX {@code mbarrier}, sm_90 for the
 * parity wait), in the KernelContext style: the producer/consumer hand-off of warp-specialised
 * kernels. A barrier is one word of a shared long array ({@link KernelContext#allocateLongLocalArray});
 * it expects {@code count} arrivals per phase; the last arrival completes the phase and starts
 * the next. Work-items wait for a phase by its parity: phases alternate 0, 1, 0, …, so a
 * consumer of slot s in round r waits for parity {@code r % 2}.
 *
 * <p>The Java bodies are the meaning, and on the Java device they really block (its work-items
 * are threads): a wait that sees no progress for {@link #TIMEOUT_PROPERTY} milliseconds (default
 * 60 000) fails the launch naming the barrier, instead of hanging. On the GPU the wait spins on
 * {@code mbarrier.try_wait.parity}. Work-items of a group on OpenCL cannot wait for one another
 * outside barriers, so these kernels compile only for PTX (sm_90) and run on the Java device.
 */
@IntrinsicClass
public final class Mbarrier {
    private Mbarrier() {}

    /** System property: milliseconds a Java-device wait may go without progress. */
    public static final String TIMEOUT_PROPERTY = "apbj.mbarrier.timeoutMs";

    /**
     * System property read when a kernel is compiled for PTX: a positive count makes every
     * {@link #waitParity} loop execute {@code trap;} after that many tries (a hung hand-off fails
     * the launch instead of hanging the GPU). Part of the kernel cache key.
     */
    public static final String DEBUG_SPINS_PROPERTY = "apbj.mbarrier.debugSpins";

    // The Java state of a barrier word: pending arrivals in bits 0-19, arrivals per phase in
    // bits 20-39, the phase parity in bit 40, and the signed count of transaction bytes still
    // expected in bits 41-62 (it may dip below zero when a copy completes before its expect_tx).
    private static final long PENDING = 0xfffffL;
    private static final int EXPECTED_SHIFT = 20;
    private static final long PHASE = 1L << 40;
    private static final int TX_SHIFT = 41;
    private static final long TX_MASK = ((1L << 22) - 1) << TX_SHIFT;

    /**
     * Sets up the barrier {@code bars[at]} for {@code count} arrivals per phase (1..2^20 − 1), in
     * phase 0. One work-item initialises; a {@link KernelContext#localBarrier} must follow before
     * any other work-item uses it.
     */
    public static void init(KernelContext ctx, long[] bars, int at, int count) {
        synchronized (bars) {
            bars[at] = ((long) count << EXPECTED_SHIFT) | count;
        }
    }

    /** One arrival on {@code bars[at]} (mbarrier.arrive). */
    public static void arrive(KernelContext ctx, long[] bars, int at) {
        synchronized (bars) {
            long s = bars[at];
            settle(bars, at, (s & ~PENDING) | ((s & PENDING) - 1));
        }
    }

    /**
     * One arrival on {@code bars[at]} that also expects {@code bytes} more transaction bytes in
     * this phase (mbarrier.arrive.expect_tx): the phase completes once every arrival came and
     * bulk copies completing on this barrier ({@link BulkCopy}) delivered those bytes. The
     * producer that starts a tile's copies calls it once with the tile's size.
     */
    public static void arriveExpectTx(KernelContext ctx, long[] bars, int at, int bytes) {
        if (bytes < 0 || bytes >= 1 << 20) {
            throw new IllegalArgumentException("mbarrier " + at + ": expect_tx of " + bytes + " bytes is outside 0..2^20-1:"
                    + " split the transfer over more phases");
        }
        synchronized (bars) {
            long s = bars[at];
            s = withTx(s, txOf(s) + bytes);
            settle(bars, at, (s & ~PENDING) | ((s & PENDING) - 1));
        }
    }

    /** A bulk copy delivered {@code bytes} to the phase in progress of {@code bars[at]} (complete_tx). */
    static void completeTx(long[] bars, int at, int bytes) {
        synchronized (bars) {
            long s = bars[at];
            settle(bars, at, withTx(s, txOf(s) - bytes));
        }
    }

    /** Stores the new state, completing the phase when no arrival and no transaction byte is pending. */
    private static void settle(long[] bars, int at, long s) {
        if ((s & PENDING) == 0 && txOf(s) == 0) {
            long expected = (s >>> EXPECTED_SHIFT) & PENDING;
            bars[at] = ((s & PHASE) ^ PHASE) | (expected << EXPECTED_SHIFT) | expected;
            bars.notifyAll();
        } else {
            bars[at] = s;
        }
    }

    private static long txOf(long s) { return (s << 1) >> (TX_SHIFT + 1); }

    private static long withTx(long s, long tx) {
        if (tx >= 1L << 21 || tx < -(1L << 21)) {
            throw new IllegalStateException("mbarrier transaction count " + tx + " is outside the hardware's range:"
                    + " expect at most 2^20-1 bytes per phase");
        }
        return (s & ~TX_MASK) | ((tx << TX_SHIFT) & TX_MASK);
    }

    /**
     * One arrival on {@code bars[at]} once every cp.async this work-item started before has
     * landed (cp.async.mbarrier.arrive.noinc): the producer's copies complete the consumer's
     * phase without the producer waiting for them. The Java copies are done at once, so it
     * arrives at once.
     */
    public static void arriveAfterCopies(KernelContext ctx, long[] bars, int at) {
        arrive(ctx, bars, at);
    }

    /**
     * Waits until the phase of parity {@code parity} (0 or 1) of {@code bars[at]} has completed,
     * i.e. while the current phase has that parity (mbarrier.try_wait.parity in a loop). Memory
     * written before the arrivals that completed it is visible afterwards.
     */
    public static void waitParity(KernelContext ctx, long[] bars, int at, int parity) {
        long timeoutMs = Long.getLong(TIMEOUT_PROPERTY, 60_000);
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        synchronized (bars) {
            while (((bars[at] & PHASE) != 0 ? 1 : 0) == (parity & 1)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("mbarrier " + at + " (" + ((bars[at] & PENDING)) + " of "
                            + ((bars[at] >>> EXPECTED_SHIFT) & PENDING) + " arrivals and " + txOf(bars[at])
                            + " transaction bytes pending) did not complete its phase of parity "
                            + parity + " within " + timeoutMs + " ms (" + TIMEOUT_PROPERTY + "): a producer or consumer"
                            + " skipped an arrival, or waits for the wrong parity");
                }
                try {
                    bars.wait(Math.max(1, left / 1_000_000L));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting on mbarrier " + at, e);
                }
            }
        }
    }
}
