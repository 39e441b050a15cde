package org.apbj.parallel.strategy;

import org.apbj.kernels.runtime.Device;

/**
 * Wall time per (phase, layer, category) of one rank. Each measured section ends with a device
 * synchronisation, so kernel time lands in the section that launched it. Layer index
 * {@code numLayers} holds what happens outside the layers (embedding, LM head).
 */
public final class StepTimer {

    @FunctionalInterface
    public interface Section {
        void run();
    }

    private final Device device;
    private final int layers;
    private final long[] nanos;   // [phase][layer + 1 slot][category]

    public StepTimer(Device device, int numLayers) {
        this.device = device;
        this.layers = numLayers;
        this.nanos = new long[Phase.values().length * (numLayers + 1) * Category.values().length];
    }

    public int numLayers() { return layers; }

    /** Runs {@code body} and charges its time (up to device idle) to the slot; layer -1: outside the layers. */
    public void time(Phase phase, int layer, Category category, Section body) {
        long t0 = System.nanoTime();
        try {
            body.run();
            device.synchronize();
        } finally {
            nanos[index(phase, layer, category)] += System.nanoTime() - t0;
        }
    }

    public long nanos(Phase phase, int layer, Category category) { return nanos[index(phase, layer, category)]; }

    public long totalNanos(Phase phase) {
        long sum = 0;
        for (int l = -1; l < layers; l++) for (Category c : Category.values()) sum += nanos(phase, l, c);
        return sum;
    }

    /** All slots in milliseconds, in index order: for gathering over ranks (see {@link TimingReport}). */
    public float[] toMillis() {
        float[] ms = new float[nanos.length];
        for (int i = 0; i < nanos.length; i++) ms[i] = nanos[i] / 1e6f;
        return ms;
    }

    public int slotCount() { return nanos.length; }

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
