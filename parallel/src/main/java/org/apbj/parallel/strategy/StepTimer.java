package org.apbj.parallel.strategy;

import java.util.ArrayDeque;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.Marker;
import org.apbj.parallel.transfer.Transfer;

/**
 * Time per (phase, layer, category) of one rank, without synchronising the device: a section of
 * device work is bracketed by two device marks ({@link Device#mark()}: CUDA events, OpenCL
 * markers) and charged the device time between them, read later (when the times are asked for,
 * or, past {@value #MAX_PENDING} unread sections, the oldest half then). Communication is host
 * work and is charged its host wall time. Device sections do not overlap each other (one
 * in-order queue); communication may overlap device work still running. Layer index
 * {@code numLayers} holds what happens outside the layers (embedding, LM head).
 */
public final class StepTimer implements AutoCloseable {

    static final int MAX_PENDING = 4096;

    @FunctionalInterface
    public interface Section {
        void run();
    }

    private record Pending(int slot, Marker start, Marker end) {}

    /** A transfer whose time is charged once its communication thread has seen it land (read late: that may wait). */
    private record PendingTransfer(int slot, Transfer transfer) {}

    private final Device device;
    private final int layers;
    private final long[] nanos;   // [phase][layer + 1 slot][category]
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private final ArrayDeque<PendingTransfer> transfers = new ArrayDeque<>();

    public StepTimer(Device device, int numLayers) {
        this.device = device;
        this.layers = numLayers;
        this.nanos = new long[Phase.values().length * (numLayers + 1) * Category.values().length];
    }

    public int numLayers() { return layers; }

    /**
     * Runs {@code body} and charges it to the slot (layer -1: outside the layers): device time
     * between marks for device work, host time for {@link Category#COMMUNICATION}. Nothing waits.
     */
    public void time(Phase phase, int layer, Category category, Section body) {
        int slot = index(phase, layer, category);
        if (category == Category.COMMUNICATION) {
            long t0 = System.nanoTime();
            try {
                body.run();
            } finally {
                nanos[slot] += System.nanoTime() - t0;
            }
            return;
        }
        Marker start = device.mark();
        try {
            body.run();
        } catch (RuntimeException | Error e) {
            start.close();
            throw e;
        }
        pending.add(new Pending(slot, start, device.mark()));
        if (pending.size() > MAX_PENDING) resolve(pending.size() / 2);
    }

    /**
     * Waits for {@code t} ({@link Transfer#await}): the compute queue's wait is charged to
     * {@link Category#EXPOSED_COMMUNICATION} (device marks around it), the transfer's own time
     * to {@link Category#COMMUNICATION} (read later, so that nothing here waits for the device).
     */
    public void await(Phase phase, int layer, Transfer t) {
        time(phase, layer, Category.EXPOSED_COMMUNICATION, t::await);
        charge(phase, layer, t);
    }

    /** As {@link #await}, for {@link Transfer#awaitReceived}: the send arrays stay the peers' until {@link #releaseSend}. */
    public void awaitReceived(Phase phase, int layer, Transfer t) {
        time(phase, layer, Category.EXPOSED_COMMUNICATION, t::awaitReceived);
        charge(phase, layer, t);
    }

    /** {@link Transfer#releaseSend}: the compute queue's wait for the slowest reader is charged to exposed communication. */
    public void releaseSend(Phase phase, int layer, Transfer t) {
        time(phase, layer, Category.EXPOSED_COMMUNICATION, t::releaseSend);
    }

    private void charge(Phase phase, int layer, Transfer t) {
        transfers.add(new PendingTransfer(index(phase, layer, Category.COMMUNICATION), t));
        if (transfers.size() > MAX_PENDING) resolveTransfers(transfers.size() / 2);
    }

    private void resolveTransfers(int count) {
        for (int i = 0; i < count; i++) {
            PendingTransfer p = transfers.poll();
            nanos[p.slot()] += p.transfer().nanos();
        }
    }

    /** Charges {@code nanos} measured elsewhere (a transfer's time on the communication thread) to the slot. */
    public void add(Phase phase, int layer, Category category, long amount) {
        nanos[index(phase, layer, category)] += amount;
    }

    /** Reads the oldest {@code count} sections' marks (waits until the device has passed them). */
    private void resolve(int count) {
        for (int i = 0; i < count; i++) {
            Pending p = pending.poll();
            try {
                nanos[p.slot()] += p.start().nanosUntil(p.end());
            } finally {
                p.start().close();
                p.end().close();
            }
        }
    }

    /** Time charged to the slot; reads outstanding marks, so it may wait for the device. */
    public long nanos(Phase phase, int layer, Category category) {
        resolve(pending.size());
        resolveTransfers(transfers.size());
        return nanos[index(phase, layer, category)];
    }

    public long totalNanos(Phase phase) {
        long sum = 0;
        for (int l = -1; l < layers; l++) for (Category c : Category.values()) sum += nanos(phase, l, c);
        return sum;
    }

    /** All slots in milliseconds, in index order: for gathering over ranks. Reads outstanding marks. */
    public float[] toMillis() {
        resolve(pending.size());
        resolveTransfers(transfers.size());
        float[] ms = new float[nanos.length];
        for (int i = 0; i < nanos.length; i++) ms[i] = nanos[i] / 1e6f;
        return ms;
    }

    public int slotCount() { return nanos.length; }

    /** Reads what is outstanding and gives the marks back to the device. */
    @Override
    public void close() {
        try {
            resolve(pending.size());
        } finally {
            for (Pending p : pending) {
                p.start().close();
                p.end().close();
            }
            pending.clear();
            transfers.clear();   // their times are not asked for any more; nothing to give back
        }
    }

    private int index(Phase phase, int layer, Category category) {
        if (layer < -1 || layer >= layers) throw new IllegalArgumentException("layer " + layer + " outside [-1, " + layers + ")");
        int slot = layer < 0 ? layers : layer;
        return (phase.ordinal() * (layers + 1) + slot) * Category.values().length + category.ordinal();
    }

    static int slots(int numLayers) { return Phase.values().length * (numLayers + 1) * Category.values().length; }

    static int indexOf(int numLayers, Phase phase, int layer, Category category) {
        int slot = layer < 0 ? numLayers : layer;
        return (phase.ordinal() * (numLayers + 1) + slot) * Category.values().length + category.ordinal();
    }
}
