package org.apbj.parallel.transfer;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apbj.parallel.comm.CommunicationException;

/**
 * A device collective under way on the communication thread. {@link #await} (main thread, once)
 * returns when its bytes have landed, after which the compute queue sees them; until then the
 * caller must neither write the send arrays nor read or write the receive arrays.
 */
public final class Transfer {
    private final DeviceCollectives owner;
    private Future<?> work;
    private final long startNanos;
    private volatile long endNanos;
    private boolean awaited;

    Transfer(DeviceCollectives owner, long startNanos) {
        this.owner = owner;
        this.startNanos = startNanos;
    }

    void started(Future<?> work) { this.work = work; }

    Future<?> work() { return work; }

    void finished() { endNanos = System.nanoTime(); }

    /** Whether the bytes have landed (the communication thread is done with it); never waits. */
    public boolean isDone() { return work.isDone(); }

    /**
     * Waits (bounded by twice the communication timeout) until the transfer is complete and
     * lets later compute see it; a failure on any rank comes back as the exception that ended it.
     */
    public void await() {
        if (awaited) return;
        awaited = true;
        long bound = owner.timeout().multipliedBy(2).plusSeconds(5).toNanos();
        try {
            work.get(bound, TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            owner.finished(this);
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) throw r;
            if (c instanceof Error err) throw err;
            throw new CommunicationException("rank " + owner.rank() + ": device collective failed: " + c, c);
        } catch (TimeoutException e) {
            owner.finished(this);
            throw owner.abort("rank " + owner.rank() + ": a device collective did not complete within "
                    + TimeUnit.NANOSECONDS.toSeconds(bound) + " s; another rank is dead or stuck");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            owner.finished(this);
            throw new CommunicationException("rank " + owner.rank() + ": interrupted while waiting for a device collective", e);
        }
        owner.finished(this);
        owner.lane().mainAfterTransfer();
    }

    /** Wall time of the transfer on the communication thread (start to bytes landed), valid after {@link #await}. */
    public long nanos() { return endNanos == 0 ? 0 : endNanos - startNanos; }
}
