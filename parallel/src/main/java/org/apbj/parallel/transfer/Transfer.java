package org.apbj.parallel.transfer;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apbj.parallel.comm.CommunicationException;

/**
 * A device collective under way on the communication thread. {@link #await} (main thread, once)
 * lets later compute see the received bytes and overwrite the send arrays; until then the caller
 * must neither write the send arrays nor read or write the receive arrays. Where the caller has
 * work that does not touch the send arrays, {@link #awaitReceived} first and {@link #releaseSend}
 * just before it writes them again keeps that work from waiting for the slowest reader.
 * On the device and IPC paths neither call waits for the device on the host.
 */
public final class Transfer {
    private final DeviceCollectives owner;
    private Future<PathRunner.Landing> work;
    private Future<?> settle;
    private final long startNanos;
    private volatile long endNanos;
    private PathRunner.Landing landing;
    private boolean received, released;

    Transfer(DeviceCollectives owner, long startNanos) {
        this.owner = owner;
        this.startNanos = startNanos;
    }

    void started(Future<PathRunner.Landing> work) { this.work = work; }

    void settling(Future<?> settle) { this.settle = settle; }

    Future<PathRunner.Landing> work() { return work; }

    void finished() { endNanos = System.nanoTime(); }

    /** Whether every rank has queued its part (the communication thread is done with it); never waits. */
    public boolean isDone() { return work.isDone(); }

    /** {@link #awaitReceived}, then {@link #releaseSend}. */
    public void await() {
        awaitReceived();
        releaseSend();
    }

    /**
     * Waits (bounded by twice the communication timeout) until every rank has queued its part
     * and lets later compute see the bytes this rank received; a failure on any rank comes back
     * as the exception that ended it. The send arrays stay the peers' until {@link #releaseSend}.
     */
    public void awaitReceived() {
        if (received) return;
        received = true;
        long bound = owner.timeout().multipliedBy(2).plusSeconds(5).toNanos();
        try {
            landing = work.get(bound, TimeUnit.NANOSECONDS);
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
        owner.rethrowFailure();
        owner.lane().mainAfter(landing.received());
    }

    /**
     * Main thread, after {@link #awaitReceived}: later compute (such as writing the send arrays
     * again) waits until every rank that reads this rank's send arrays is done with them; the next
     * collective may start after it.
     */
    public void releaseSend() {
        if (!received) throw new IllegalStateException("releaseSend before awaitReceived: await the transfer first");
        if (released) return;
        released = true;
        owner.finished(this);
        if (landing == null) return;   // it failed: nothing was queued to wait for
        for (long h : landing.readersDone()) owner.lane().mainAfter(h);
    }

    /**
     * Host time from the start to this rank's copies seen done on the device (waits, bounded,
     * for the communication thread's check); 0 if the transfer failed.
     */
    public long nanos() {
        try {
            settle.get(owner.timeout().multipliedBy(2).plusSeconds(5).toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException | TimeoutException e) {
            return 0;   // the failure is reported by the collective that saw it
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
        return endNanos == 0 ? 0 : endNanos - startNanos;
    }
}
