package org.apbj.parallel.transfer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * What the lanes of devices without a second stream share: a copy is done (or ordered with the
 * compute queue) when the call that queued it returns, so there is nothing to mark or wait for,
 * and staging is plain host memory of the lane's own arena.
 */
abstract class SynchronousLane implements Lane {
    private final Arena arena = Arena.ofShared();
    private final MemorySegment[] staging = new MemorySegment[2];

    @Override public final void markStart() {}
    @Override public final void sideAfterStart() {}
    @Override public final long startHandle() { return 0; }
    @Override public final void sideAfterPeer(long handle) {}
    @Override public final void recordSide(int slot) {}
    @Override public final boolean awaitSide(int slot, long timeoutNanos) { return true; }
    @Override public final long doneHandle() { return 0; }
    @Override public final void recordDone() {}
    @Override public final boolean awaitDone(long timeoutNanos) { return true; }
    @Override public final void mainAfter(long handle) {}

    @Override
    public final synchronized MemorySegment staging(int which, long bytes) {
        if (staging[which] == null || staging[which].byteSize() < bytes) staging[which] = arena.allocate(Math.max(bytes, 1), 64);
        return staging[which];
    }

    @Override public void close() { arena.close(); }
}
