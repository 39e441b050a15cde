package org.apbj.parallel.transfer;

import java.lang.foreign.MemorySegment;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apbj.kernels.api.DeviceArray;
import org.apbj.kernels.api.I8Array;
import org.apbj.kernels.runtime.cuda.CudaCopyQueue;
import org.apbj.kernels.runtime.cuda.CudaDevice;

/**
 * The lane of a CUDA device: side work runs on a second stream ({@link CudaCopyQueue}) that waits
 * for events, so copies between ranks overlap the compute stream. Exports are (device pointer,
 * context, ordinal): a peer on the same GPU copies device to device, one on another GPU copies
 * peer to peer. With {@code interprocess} its start and done events can be opened by other processes (IPC);
 * with {@code highPriority} the second stream has the context's greatest priority.
 */
final class CudaLane implements Lane {
    private final CudaDevice device;
    private final CudaCopyQueue queue;
    private final long start, done;
    private final long[] slots = new long[2];
    private final I8Array[] staging = new I8Array[2];
    private final Set<Long> peerContexts = ConcurrentHashMap.newKeySet();

    CudaLane(CudaDevice device, boolean interprocess, boolean highPriority) {
        this.device = device;
        this.queue = CudaCopyQueue.open(device, highPriority);
        this.start = queue.createEvent(interprocess);
        this.done = queue.createEvent(interprocess);   // peer processes wait for it before reusing their send arrays
        for (int i = 0; i < slots.length; i++) slots[i] = queue.createEvent(false);
    }

    CudaCopyQueue queue() { return queue; }

    @Override public void markStart() { queue.recordOnMain(start); }
    @Override public void sideAfterStart() { queue.sideWaitsFor(start); }
    @Override public long startHandle() { return start; }
    @Override public void sideAfterPeer(long handle) { if (handle != 0) queue.sideWaitsFor(handle); }

    @Override
    public void toHost(DeviceArray src, long srcOffset, MemorySegment dst, long bytes) {
        queue.toHostOnSide(dst, queue.pointer(src) + srcOffset, bytes);
    }

    @Override
    public void fromHost(DeviceArray dst, long dstOffset, MemorySegment src, long bytes) {
        queue.fromHostOnSide(queue.pointer(dst) + dstOffset, src, bytes);
    }

    @Override
    public void local(DeviceArray dst, long dstOffset, DeviceArray src, long srcOffset, long bytes) {
        queue.copyOnSide(queue.pointer(dst) + dstOffset, queue.pointer(src) + srcOffset, bytes);
    }

    @Override
    public Object[] export(DeviceArray a, long offset) {
        return new Object[] {queue.pointer(a) + offset, queue.context(), queue.ordinal()};
    }

    @Override
    public void pull(Object[] peer, DeviceArray dst, long dstOffset, long bytes) {
        if (!(peer[0] instanceof Long src) || !(peer[1] instanceof Long context) || !(peer[2] instanceof Integer ordinal)) {
            throw new IllegalStateException("a peer's buffer is not CUDA memory: every rank of the device path needs a CUDA device");
        }
        long to = queue.pointer(dst) + dstOffset;
        if (ordinal == queue.ordinal()) {
            queue.copyOnSide(to, src, bytes);
        } else {
            if (peerContexts.add(context)) queue.enablePeerAccess(context);   // direct NVLink/PCIe reads where the GPUs can
            queue.peerCopyOnSide(to, src, context, bytes);
        }
    }

    /** Side copy from a device pointer of this context (memory another process opened for us through IPC). */
    void copyFromPointer(DeviceArray dst, long dstOffset, long src, long bytes) {
        queue.copyOnSide(queue.pointer(dst) + dstOffset, src, bytes);
    }

    @Override public void recordSide(int slot) { queue.recordOnSide(slots[slot]); }
    @Override public boolean awaitSide(int slot, long timeoutNanos) { return queue.await(slots[slot], timeoutNanos); }

    @Override public long doneHandle() { return done; }
    @Override public void recordDone() { queue.recordOnSide(done); }
    @Override public boolean awaitDone(long timeoutNanos) { return queue.await(done, timeoutNanos); }
    @Override public void mainAfter(long handle) { if (handle != 0) queue.mainWaitsFor(handle); }

    @Override
    public synchronized MemorySegment staging(int which, long bytes) {
        if (staging[which] == null || staging[which].length() < bytes) {
            if (staging[which] != null) staging[which].close();
            staging[which] = device.allocPinned(I8Array.class, Math.max(bytes, 1));
        }
        return staging[which].segment();
    }

    @Override public boolean canPull() { return true; }

    @Override
    public void close() {
        try {
            queue.close();
        } finally {
            for (I8Array s : staging) if (s != null) s.close();
        }
    }
}
