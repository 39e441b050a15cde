package org.apbj.parallel.transfer;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.Map;
import org.apbj.kernels.api.DeviceArray;
import org.apbj.kernels.runtime.cuda.CudaCopyQueue;
import org.apbj.parallel.comm.Communicator;

/**
 * Rank processes of one machine with CUDA devices: the ranks swap CUDA IPC handles through MPJ
 * Express (their start events once, the memory handles of their send arrays with every
 * collective, each opened once), then copy from each other's device memory on their
 * communication streams after the sender's start event, as the device path does.
 */
final class IpcPath implements PathRunner {
    private static final int H = CudaCopyQueue.IPC_HANDLE_BYTES;

    private final Communicator comm;
    private final CudaLane lane;
    private final CudaCopyQueue queue;
    private final long timeoutNanos;
    private final long[] peerStart;
    private final Map<DeviceArray, byte[]> myHandles = new IdentityHashMap<>();
    private final Map<String, Long> opened = new HashMap<>();

    /** Collective: opens every other rank's start event. */
    IpcPath(Communicator comm, CudaLane lane, Duration timeout) {
        this.comm = comm;
        this.lane = lane;
        this.queue = lane.queue();
        this.timeoutNanos = timeout.toNanos();
        byte[] mine = queue.ipcEventHandle(lane.startHandle());
        byte[] all = new byte[H * comm.size()];
        comm.allGather(mine, all);
        peerStart = new long[comm.size()];
        for (int r = 0; r < comm.size(); r++) {
            if (r != comm.rank()) peerStart[r] = queue.openIpcEvent(java.util.Arrays.copyOfRange(all, r * H, (r + 1) * H));
        }
    }

    @Override
    public void run(Exchange op, long seq) {
        int me = comm.rank(), n = comm.size(), parts = op.parts().size();
        lane.sideAfterStart();
        Rendezvous.agree(comm, op, seq);
        int per = parts * (H + 8);
        ByteBuffer mine = ByteBuffer.allocate(per);
        for (Exchange.Part p : op.parts()) {
            mine.put(myHandles.computeIfAbsent(p.send(), queue::ipcMemHandle));
            mine.putLong(op.sendOffset(p));
        }
        byte[] all = new byte[per * n];
        comm.allGather(mine.array(), all);
        for (int src : op.sources(me, n)) {
            long bytes = op.bytesFrom(src);
            if (src == me) {
                for (Exchange.Part p : op.parts()) lane.local(p.recv(), op.recvOffset(p, me), p.send(), op.sendOffset(p), bytes);
                continue;
            }
            lane.sideAfterPeer(peerStart[src]);
            ByteBuffer theirs = ByteBuffer.wrap(all, src * per, per);
            for (Exchange.Part p : op.parts()) {
                byte[] handle = new byte[H];
                theirs.get(handle);
                long offset = theirs.getLong();
                long base = opened.computeIfAbsent(src + ":" + HexFormat.of().formatHex(handle), k -> queue.openIpcMemory(handle));
                lane.copyFromPointer(p.recv(), op.recvOffset(p, src), base + offset, bytes);
            }
        }
        if (!lane.finishSide(timeoutNanos)) {
            throw comm.abort("rank " + me + ": the IPC copies of " + op.describe() + " did not finish within "
                    + Duration.ofNanos(timeoutNanos).toSeconds() + " s", null);
        }
        comm.barrier();   // every rank has read what it needed from the others' send arrays
    }

    /** The mappings and events are the queue's; it frees them when the lane closes. */
    @Override
    public void close() {
        for (long p : opened.values()) queue.closeIpcMemory(p);
        opened.clear();
    }
}
