package org.apbj.kernels.runtime;

/**
 * A point in one device's order of work, taken by {@link Device#mark()} without waiting: a CUDA
 * event, an OpenCL marker, or a host timestamp on devices whose work is done when the call that
 * enqueued it returns. The device time of the work enqueued between two marks is
 * {@code first.nanosUntil(second)}; that call waits until the device has reached the second mark
 * (so call it where the host waits anyway, or at the end of a measurement).
 * Close markers when done: devices pool the events behind them.
 */
public interface Marker extends AutoCloseable {

    /**
     * Device nanoseconds from this mark to {@code later}, a mark of the same device taken after
     * this one; waits until the device has reached {@code later}.
     */
    long nanosUntil(Marker later);

    /** Gives the marker's event back to its device; further use fails. Does nothing for host timestamps. */
    @Override
    default void close() {}

    /** A mark that is a host timestamp ({@link System#nanoTime()}), for devices that finish work before returning. */
    static Marker hostTime(long nanos) { return new HostTime(nanos); }

    /** A host timestamp; its distance to another host timestamp is their difference. */
    record HostTime(long nanos) implements Marker {
        @Override
        public long nanosUntil(Marker later) {
            if (!(later instanceof HostTime h)) {
                throw new IllegalArgumentException("a host-time mark can only be compared with another: got " + later);
            }
            return h.nanos - nanos;
        }
    }
}
