package org.apbj.parallel.comm;

/**
 * Collective communication between the ranks of one job (one rank per GPU).
 *
 * <p>All operations work on Java arrays (MPJ Express takes nothing else) and are collective:
 * every rank must call the same operation with the same counts, in the same order. Every wait
 * is bounded by {@link CommTimeout}; a rank that dies or stalls ends the job on all ranks with
 * a {@link CommunicationException} (or, in an MPJ rank process, a non-zero exit) that names the
 * rank and the operation.
 *
 * <p>Buffers are element arrays of one of the types float[], short[], int[], byte[]; send and
 * receive buffers of one call must have the same type.
 */
public interface Communicator extends AutoCloseable {

    int rank();

    int size();

    default boolean isLast() { return rank() == size() - 1; }

    /**
     * Every rank contributes {@code count} elements from {@code send[sendOffset..]}; afterwards
     * {@code recv[recvOffset + r·count ..]} holds rank r's contribution, for every r.
     */
    void allGather(Object send, int sendOffset, int count, Object recv, int recvOffset);

    /** {@code buf[offset, offset + count)} of rank {@code root} is copied to every rank. */
    void broadcast(Object buf, int offset, int count, int root);

    /**
     * Ring shift: sends {@code count} elements to rank (r+1) mod n and receives as many from
     * rank (r−1+n) mod n.
     */
    void ringShift(Object send, int sendOffset, Object recv, int recvOffset, int count);

    /**
     * Chain shift: sends {@code send[sendOffset, +sendCount)} to rank r+1 and receives
     * {@code recvCount} elements from rank r−1 into {@code recv[recvOffset..]}; a count of 0
     * means nothing goes that way (rank 0 receives nothing, the last rank sends nothing). Every
     * rank calls it; rank r's recvCount must equal rank r−1's sendCount. Unlike
     * {@link #ringShift} nothing wraps around, so ranks send only what a later rank uses.
     */
    void shift(Object send, int sendOffset, int sendCount, Object recv, int recvOffset, int recvCount);

    void barrier();

    /**
     * Ends the whole job because of {@code reason}. Does not return normally: in tests the
     * in-process group fails every rank's current and next operation with the reason; an MPJ
     * rank prints the reason and exits the process with a non-zero status.
     */
    RuntimeException abort(String reason, Throwable cause);

    // ---- typed conveniences (whole arrays) ----

    default void allGather(float[] send, float[] recv) { allGather(send, 0, send.length, recv, 0); }
    default void allGather(short[] send, short[] recv) { allGather(send, 0, send.length, recv, 0); }
    default void allGather(int[] send, int[] recv) { allGather(send, 0, send.length, recv, 0); }
    default void allGather(byte[] send, byte[] recv) { allGather(send, 0, send.length, recv, 0); }

    default void broadcast(int[] buf, int root) { broadcast(buf, 0, buf.length, root); }
    default void broadcast(float[] buf, int root) { broadcast(buf, 0, buf.length, root); }
    default void broadcast(byte[] buf, int root) { broadcast(buf, 0, buf.length, root); }

    /** Broadcasts one int from {@code root}; returns it on every rank. */
    default int broadcastInt(int value, int root) {
        int[] one = {value};
        broadcast(one, 0, 1, root);
        return one[0];
    }

    @Override
    default void close() {}
}
