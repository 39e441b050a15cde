package org.apbj.parallel.transfer;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.Map;
import org.apbj.kernels.api.DeviceArray;
import org.apbj.kernels.runtime.cuda.CudaCopyQueue;
import org.apbj.parallel.comm.Communicator;

/**
 * Rank processes of one machine with CUDA devices: the ranks swap CUDA IPC handles through MPJ
 * Express (their start and done events once, the memory handles of their send arrays with every
 * collective, each opened once), then copy from each other's device memory on their
 * communication streams after the sender's start event, mark their end and meet once more; as on
 * the device path, the compute streams wait for the done events on the device, not the host.
 */
final class IpcPath implements PathRunner {
    private static final int H = CudaCopyQueue.IPC_HANDLE_BYTES;

    private final Communicator comm;
    private final CudaLane lane;
    private final CudaCopyQueue queue;
    private final long[] peerStart, peerDone;
    private final Map<DeviceArray, byte[]> myHandles = new IdentityHashMap<>();
    private final Map<String, Long> opened = new HashMap<>();

    /** Collective: opens every other rank's start and done events. */
    IpcPath(Communicator comm, CudaLane lane) {
        this.comm = comm;
        this.lane = lane;
        this.queue = lane.queue();
        peerStart = openPeerEvents(lane.startHandle());
        peerDone = openPeerEvents(lane.doneHandle());
    }

    private long[] openPeerEvents(long mine) {
        byte[] all = new byte[H * comm.size()];
        comm.allGather(queue.ipcEventHandle(mine), all);
        long[] peers = new long[comm.size()];
        for (int r = 0; r < comm.size(); r++) {
            if (r != comm.rank()) peers[r] = queue.openIpcEvent(Arrays.copyOfRange(all, r * H, (r + 1) * H));
        }
        return peers;
    }

    @Override
    public Landing run(Exchange op, long seq) {
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
        lane.recordDone();
        int[] readers = op.readers(me, n);
        long[] readersDone = new long[readers.length];
        for (int i = 0; i < readers.length; i++) readersDone[i] = peerDone[readers[i]];
        comm.barrier();   // every rank has queued its copies and recorded its done event for this collective
        return new Landing(lane.doneHandle(), readersDone);
    }

    /** The mappings and events are the queue's; it frees them when the lane closes. */
    @Override
    public void close() {
        for (long p : opened.values()) queue.closeIpcMemory(p);
        opened.clear();
    }
}
