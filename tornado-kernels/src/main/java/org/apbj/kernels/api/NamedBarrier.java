package org.apbj.kernels.api;

/**
 * Named barriers (PTX {@code bar.sync} / {@code bar.arrive} with an id and a thread count), in
 * the KernelContext style: a barrier among some warps of a group, e.g. the consumer warpgroups of
 * a warp-specialised kernel, that the other warps never reach. Barrier 0 is the group's own
 * ({@link KernelContext#localBarrier}); ids 1..15 are free. The id and the thread count must be
 * compile-time constants; the count is a multiple of 32 (whole warps take part) and must be the
 * same at every use of an id within one phase.
 *
 * <p>{@link #sync} counts the work-item and waits until {@code threads} work-items arrived on
 * barrier {@code id}; {@link #arrive} only counts it (a producer signalling consumers that wait).
 * The Java bodies are the meaning: on the Java device they really block, with the Java device's
 * barrier timeout. OpenCL has no barrier among part of a group, so these kernels do not compile
 * there.
 */
@IntrinsicClass
public final class NamedBarrier {
    private NamedBarrier() {}

    /** The first id kernels may use (0 is the group barrier) and the last. */
    public static final int FIRST_ID = 1, LAST_ID = 15;

    /** Arrives on barrier {@code id} and waits until {@code threads} work-items have arrived (bar.sync). */
    public static void sync(KernelContext ctx, int id, int threads) {
        check(id, threads);
        ctx.namedBarrier(id, threads, true);
    }

    /** Arrives on barrier {@code id} without waiting (bar.arrive): counts toward the {@code threads}. */
    public static void arrive(KernelContext ctx, int id, int threads) {
        check(id, threads);
        ctx.namedBarrier(id, threads, false);
    }

    private static void check(int id, int threads) {
        if (id < FIRST_ID || id > LAST_ID) {
            throw new IllegalArgumentException("named barrier id " + id + " is outside 1..15 (0 is ctx.localBarrier's):"
                    + " pick a free id in 1..15");
        }
        if (threads <= 0 || threads % KernelContext.WARP_SIZE != 0 || threads > 1024) {
            throw new IllegalArgumentException("named barrier " + id + " with " + threads + " threads: the count must be a"
                    + " multiple of 32 in 32..1024 (whole warps take part)");
        }
    }
}
