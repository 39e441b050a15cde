package org.apbj.parallel.transfer;

import java.util.List;
import org.apbj.kernels.api.DeviceArray;

/**
 * One device collective: an all-gather (every rank sends {@code sendCount} elements of each part;
 * rank j's land at {@code recvIndex + j·sendCount} of the part's receive array on every rank), a
 * prefix gather (the same layout, but rank r needs only the parts of ranks 0..r−1: APB's passing
 * blocks; what lies past them in the receive arrays is left undefined), or a chain shift (rank r
 * sends {@code sendCount} elements to r+1 and receives {@code recvCount} from r−1 at
 * {@code recvIndex}). Parts move together (keys and values).
 */
public record Exchange(Kind kind, int sendCount, int recvCount, List<Part> parts) {

    enum Kind { GATHER, PREFIX_GATHER, SHIFT }

    /** One array pair of an exchange (indices in elements). */
    public record Part(DeviceArray send, long sendIndex, DeviceArray recv, long recvIndex) {}

    public Exchange {
        parts = List.copyOf(parts);
        if (parts.isEmpty()) throw new IllegalArgumentException("a device collective needs at least one array pair");
        if (sendCount < 0 || recvCount < 0) throw new IllegalArgumentException("negative count: send " + sendCount + ", receive " + recvCount);
        int eb = parts.getFirst().send().elementBytes();
        for (Part p : parts) {
            if (p.send().getClass() != p.recv().getClass()) {
                throw new IllegalArgumentException("send " + p.send() + " and receive " + p.recv() + " differ in element type");
            }
            if (p.send().elementBytes() != eb) throw new IllegalArgumentException("the parts of one collective must share an element size");
        }
    }

    int elementBytes() { return parts.getFirst().send().elementBytes(); }

    long sendBytes() { return (long) sendCount * elementBytes(); }

    long recvBytes() { return (long) recvCount * elementBytes(); }

    long sendOffset(Part p) { return p.sendIndex() * elementBytes(); }

    /** Whether every rank sends the same count and rank j's part lands at j·sendCount (an all-gather or a prefix gather). */
    boolean isGather() { return kind != Kind.SHIFT; }

    /** Byte offset in the part's receive array where rank {@code from}'s elements land. */
    long recvOffset(Part p, int from) {
        long base = p.recvIndex() * elementBytes();
        return isGather() ? base + (long) from * sendBytes() : base;
    }

    /** Bytes this rank receives from {@code from}. */
    long bytesFrom(int from) { return isGather() ? sendBytes() : recvBytes(); }

    /** The ranks whose data this rank receives (itself included for an all-gather). */
    int[] sources(int rank, int size) {
        return switch (kind) {
            case SHIFT -> recvCount > 0 ? new int[] {rank - 1} : new int[0];
            case GATHER -> range(0, size);
            case PREFIX_GATHER -> range(0, rank);
        };
    }

    /** The other ranks that read this rank's send arrays (it must not overwrite them before they are done). */
    int[] readers(int rank, int size) {
        return switch (kind) {
            case SHIFT -> sendCount > 0 ? new int[] {rank + 1} : new int[0];
            case GATHER -> java.util.stream.IntStream.range(0, size).filter(r -> r != rank).toArray();
            case PREFIX_GATHER -> range(rank + 1, size);
        };
    }

    private static int[] range(int from, int to) { return java.util.stream.IntStream.range(from, to).toArray(); }

    /** Checks that every array holds the elements this rank sends and receives. */
    void checkRanges(int size) {
        for (Part p : parts) {
            need(p.send(), p.sendIndex(), sendCount, "send");
            need(p.recv(), p.recvIndex(), isGather() ? (long) sendCount * size : recvCount, "receive");
        }
    }

    private static void need(DeviceArray a, long index, long count, String what) {
        if (index < 0 || index + count > a.length()) {
            throw new IllegalArgumentException(what + " range [" + index + ", " + (index + count) + ") does not fit " + a);
        }
    }

    String describe() {
        return kind == Kind.GATHER ? "all-gather of " + parts.size() + "x" + sendCount + " elements"
                : kind == Kind.PREFIX_GATHER ? "prefix gather of " + parts.size() + "x" + sendCount + " elements"
                : "shift of " + parts.size() + "x" + sendCount + " elements on, " + parts.size() + "x" + recvCount + " in";
    }
}
