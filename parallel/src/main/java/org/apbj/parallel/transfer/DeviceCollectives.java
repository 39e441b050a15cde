package org.apbj.parallel.transfer;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apbj.kernels.api.DeviceArray;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.cuda.CudaDevice;
import org.apbj.parallel.comm.CommTimeout;
import org.apbj.parallel.comm.Communicator;

/**
 * All-gather and shift of device arrays between the ranks of a job, still MPJ Express
 * collectives (through the {@link Communicator}: ordering, rendezvous, timeouts, and the bytes
 * between machines) whose bytes take the fastest {@link CommPath} the ranks share. A collective
 * starts at once ({@link #allGather}, {@link #shift} return a {@link Transfer}) and runs on this
 * rank's communication thread while the caller queues compute; {@link Transfer#await} joins it.
 * On the device and IPC paths the join is a wait of the compute stream, not of the host: the
 * host waits only until every rank has queued its copies, and the communication thread checks
 * afterwards (bounded by the timeout) that this rank's copies finished.
 *
 * <p>One collective at a time, and while it is in flight the caller makes no other call on the
 * communicator (its collectives would interleave with the communication thread's). Every wait is
 * bounded by the communication timeout; a failure on any rank ends the collective on every rank
 * with the cause.
 */
public final class DeviceCollectives implements AutoCloseable {

    private final Communicator comm;
    private final Device device;
    private final CommPath path;
    private final Lane lane;
    private final PathRunner runner;
    private final Duration timeout;
    private final ExecutorService thread;
    private long seq;
    private Transfer inFlight;
    /** The communication thread's check that the last collective's copies finished (see {@link #settle}). */
    private Future<?> lastSettle;
    /** Why a collective's copies did not finish (the job is being ended with it), set by the communication thread. */
    private volatile RuntimeException failure;
    private boolean closed;

    private DeviceCollectives(Communicator comm, Device device, CommPath path, Lane lane, PathRunner runner, Duration timeout) {
        this.comm = comm;
        this.device = device;
        this.path = path;
        this.lane = lane;
        this.runner = runner;
        this.timeout = timeout;
        int rank = comm.rank();
        // created on the first collective, from the rank's own thread: MPJ Express multicore knows
        // a rank by its thread group, which the communication thread inherits
        this.thread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "apbj-comm-rank-" + rank);
            t.setDaemon(true);
            return t;
        });
    }

    /** Collective: chooses the path ({@code requested}, or the fastest the ranks share for AUTO) on every rank. */
    public static DeviceCollectives open(Communicator comm, Device device, CommPath requested) {
        return open(comm, device, requested, CommTimeout.fromSystemProperty(), false);
    }

    /**
     * As {@link #open(Communicator, Device, CommPath)}; with {@code priorityCopies} a CUDA rank's
     * copies run on a stream of the greatest priority, ahead of the kernels of ranks that share its GPU.
     */
    public static DeviceCollectives open(Communicator comm, Device device, CommPath requested, boolean priorityCopies) {
        return open(comm, device, requested, CommTimeout.fromSystemProperty(), priorityCopies);
    }

    public static DeviceCollectives open(Communicator comm, Device device, CommPath requested, Duration timeout) {
        return open(comm, device, requested, timeout, false);
    }

    public static DeviceCollectives open(Communicator comm, Device device, CommPath requested, Duration timeout,
                                         boolean priorityCopies) {
        RankPlacement where = RankPlacement.of(comm, device.backend());
        int[] asked = new int[comm.size()];
        comm.allGather(new int[] {requested.ordinal()}, asked);
        for (int r = 0; r < asked.length; r++) {
            if (asked[r] != requested.ordinal()) {
                throw new IllegalArgumentException("ranks disagree on --comm-path: rank " + comm.rank() + " asks " + requested.id()
                        + ", rank " + r + " asks " + CommPath.values()[asked[r]].id());
            }
        }
        CommPath path = choose(requested, where);
        long key = comm.rank() == 0 ? new SecureRandom().nextLong() : 0;
        int[] keyHalves = {(int) (key >>> 32), (int) key};
        comm.broadcast(keyHalves, 0);
        String jobKey = Integer.toHexString(keyHalves[0]) + Integer.toHexString(keyHalves[1]);
        Lane lane = device instanceof CudaDevice cuda ? new CudaLane(cuda, path == CommPath.IPC, priorityCopies)
                : device.backend() == Backend.JAVA ? new HostMemoryLane() : new QueueLane(device);
        try {
            PathRunner runner = switch (path) {
                case DEVICE -> new DevicePath(comm, lane, jobKey);
                case IPC -> new IpcPath(comm, (CudaLane) lane);
                case HOST -> new HostPath(comm, lane, timeout);
                case AUTO -> throw new IllegalStateException("unreachable");
            };
            return new DeviceCollectives(comm, device, path, lane, runner, timeout);
        } catch (RuntimeException e) {
            lane.close();
            throw e;
        }
    }

    /** The path for {@code requested} where the ranks are {@code where}; a forced path they cannot take is refused. */
    static CommPath choose(CommPath requested, RankPlacement where) {
        boolean deviceOk = where.sameJvm() && (where.allCuda() || where.allJava());
        boolean ipcOk = where.sameMachine() && !where.sameJvm() && where.allCuda();
        return switch (requested) {
            case AUTO -> deviceOk ? CommPath.DEVICE : ipcOk ? CommPath.IPC : CommPath.HOST;
            case DEVICE -> {
                if (!deviceOk) {
                    throw new IllegalArgumentException("--comm-path device needs ranks that are threads of one JVM (MPJ multicore or"
                            + " in-process) on CUDA or Java devices" + (where.sameJvm() ? "" : "; these ranks are separate processes")
                            + ": use --comm-path auto");
                }
                yield CommPath.DEVICE;
            }
            case IPC -> {
                if (!ipcOk) {
                    throw new IllegalArgumentException("--comm-path ipc needs rank processes of one machine on CUDA devices"
                            + (where.sameJvm() ? "; these ranks are threads of one JVM (CUDA IPC does not open a process's own"
                            + " memory): use --comm-path device" : ": use --comm-path auto"));
                }
                yield CommPath.IPC;
            }
            case HOST -> CommPath.HOST;
        };
    }

    public CommPath path() { return path; }

    public int rank() { return comm.rank(); }

    Duration timeout() { return timeout; }

    Lane lane() { return lane; }

    RuntimeException abort(String reason) { return comm.abort(reason, null); }

    /** All-gather of one array pair: rank j's {@code count} elements land at {@code recvIndex + j·count}. */
    public Transfer allGather(DeviceArray send, long sendIndex, int count, DeviceArray recv, long recvIndex) {
        return allGather(count, List.of(new Exchange.Part(send, sendIndex, recv, recvIndex)));
    }

    /** All-gather of several array pairs in one collective (keys and values). */
    public Transfer allGather(int count, List<Exchange.Part> parts) {
        return start(new Exchange(Exchange.Kind.GATHER, count, count, parts));
    }

    /**
     * Prefix gather (APB's passing blocks): as {@link #allGather(int, List)}, but rank r receives
     * only the parts of ranks 0..r−1 (rank j's at {@code recvIndex + j·count}); the receive
     * arrays past them are left undefined. Rank r's send arrays are read by ranks r+1.. only.
     */
    public Transfer allGatherPrefix(int count, List<Exchange.Part> parts) {
        return start(new Exchange(Exchange.Kind.PREFIX_GATHER, count, count, parts));
    }

    /**
     * Chain shift: {@code sendCount} elements of each part to rank r+1, {@code recvCount} from
     * rank r−1 (0 on rank 0 / the last rank); rank r's recvCount must equal rank r−1's sendCount.
     */
    public Transfer shift(int sendCount, int recvCount, List<Exchange.Part> parts) {
        if (comm.rank() == 0 && recvCount > 0) throw new IllegalArgumentException("shift: rank 0 has no predecessor to receive from");
        if (comm.isLast() && sendCount > 0) throw new IllegalArgumentException("shift: the last rank has no successor to send to");
        return start(new Exchange(Exchange.Kind.SHIFT, sendCount, recvCount, parts));
    }

    private Transfer start(Exchange op) {
        if (closed) throw new IllegalStateException("device collectives of rank " + comm.rank() + " are closed");
        if (inFlight != null) {
            throw new IllegalStateException("a device collective is still in flight or holds its send arrays: await it (or awaitReceived,"
                    + " then releaseSend before writing its send arrays) before the next");
        }
        rethrowFailure();
        op.checkRanges(comm.size());
        long n = seq++;
        long t0 = System.nanoTime();
        lane.markStart();
        Transfer t = new Transfer(this, t0);
        t.started(thread.submit(() -> runner.run(op, n)));
        lastSettle = thread.submit(() -> settle(t, op));
        t.settling(lastSettle);
        inFlight = t;
        return t;
    }

    /**
     * Communication thread, after the collective was queued everywhere: waits (bounded) until this
     * rank's copies are done on the device, which times the transfer; past the timeout the job is
     * ended with the cause, which the main thread also gets at its next collective.
     */
    private void settle(Transfer t, Exchange op) {
        if (!t.work().isDone() || t.work().isCancelled()) return;
        try {
            t.work().get();
        } catch (Exception e) {
            return;   // the run failed: whoever awaits it reports the cause
        }
        if (!lane.awaitDone(timeout.toNanos())) {
            RuntimeException e = comm.abort("rank " + comm.rank() + ": the device copies of " + op.describe() + " did not finish within "
                    + timeout.toSeconds() + " s", null);
            failure = e;
            throw e;
        }
        t.finished();
    }

    void rethrowFailure() {
        RuntimeException f = failure;
        if (f != null) throw f;
    }

    void finished(Transfer t) { if (inFlight == t) inFlight = null; }

    /** Collective in effect: waits (briefly) for a collective still in flight, then frees the lane. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (Future<?> f : new Future<?>[] {inFlight == null ? null : inFlight.work(), lastSettle}) {
            if (f == null) continue;
            try {
                f.get(2, TimeUnit.SECONDS);
            } catch (Exception e) {
                // the failure was or will be reported by whoever awaited it; do not hide the job's first cause
            }
        }
        thread.shutdown();
        try {
            runner.close();
        } finally {
            lane.close();
        }
    }

    @Override
    public String toString() { return path.id() + " path of rank " + comm.rank() + "/" + comm.size() + " on " + device.name(); }
}
