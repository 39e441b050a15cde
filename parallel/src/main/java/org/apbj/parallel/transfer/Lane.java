package org.apbj.parallel.transfer;

import java.lang.foreign.MemorySegment;
import org.apbj.kernels.api.DeviceArray;

/**
 * A device's way to move the bytes of a collective beside its compute queue. The main thread
 * marks the start of a transfer ({@link #markStart}); a communication thread queues the copies
 * ("side" work: after the start mark, not in the compute queue's way) and marks their end
 * ({@link #recordDone}); the main thread then lets later compute see the result
 * ({@link #mainAfter} this rank's done mark) without the host waiting for the device, and lets it
 * overwrite the send arrays once the peers that read them are done ({@link #mainAfter} their done
 * marks). Marks are handles that peers of the same JVM (or, opened through IPC, of the same
 * machine) can wait for; a device whose work is done when the call returns has none (0).
 * Offsets and sizes are in bytes.
 */
interface Lane extends AutoCloseable {

    /** Main thread: what the compute queue holds so far (the data to send, the last reads of the receive buffers) comes first. */
    void markStart();

    /** Comm thread: later side work waits for this rank's start mark. */
    void sideAfterStart();

    /** This rank's start mark as a handle peers of the same JVM can wait for (0: nothing to wait for). */
    long startHandle();

    /** Comm thread: later side work waits for a peer's start mark (a handle from {@link #startHandle}). */
    void sideAfterPeer(long handle);

    /** Side copy of {@code bytes} from {@code src} at {@code srcOffset} into host memory. */
    void toHost(DeviceArray src, long srcOffset, MemorySegment dst, long bytes);

    /** Side copy of {@code bytes} from host memory into {@code dst} at {@code dstOffset}. */
    void fromHost(DeviceArray dst, long dstOffset, MemorySegment src, long bytes);

    /** Side copy between two arrays of this device. */
    void local(DeviceArray dst, long dstOffset, DeviceArray src, long srcOffset, long bytes);

    /** What a peer in this JVM needs to read {@code a} from {@code offset} on: JDK types only (see {@link SharedBoard}). */
    Object[] export(DeviceArray a, long offset);

    /** Side copy from a peer's exported array (same JVM) into {@code dst}. */
    void pull(Object[] peerExport, DeviceArray dst, long dstOffset, long bytes);

    /** Marks side slot {@code slot} (0 or 1) at the current end of the side work. */
    void recordSide(int slot);

    /** Comm thread: waits until the side work before slot's mark is done; false after {@code timeoutNanos}. */
    boolean awaitSide(int slot, long timeoutNanos);

    /** This rank's done mark as a handle peers can wait for (0: nothing to wait for). */
    long doneHandle();

    /** Comm thread: sets the done mark at the current end of the side work. */
    void recordDone();

    /** Waits on the host until the side work before the done mark is done; false after {@code timeoutNanos}. */
    boolean awaitDone(long timeoutNanos);

    /** Main thread: later compute waits (on the device, not the host) for a mark from {@link #doneHandle} (0: nothing). */
    void mainAfter(long handle);

    /** Comm thread: waits until every side work queued so far is done; false after {@code timeoutNanos}. */
    default boolean finishSide(long timeoutNanos) {
        recordDone();
        return awaitDone(timeoutNanos);
    }

    /** Host memory for staging of at least {@code bytes} (pinned where the device has it), reused by later calls. */
    MemorySegment staging(int which, long bytes);

    /** Whether {@link #pull} works between threads of one JVM. */
    boolean canPull();

    @Override
    void close();
}
