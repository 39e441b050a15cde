package org.apbj.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apbj.kernels.runtime.DeviceMemoryException;

import org.apbj.weights.ModelConfig;

/**
 * Device memory something will allocate, item by item, worked out before anything is allocated
 * and set against the device's free memory. {@link DeviceModel#plan} gives the model's items
 * (weights, layer scratch, split-attention scratch), {@link DenseGenerator#plan} adds the KV cache
 * and the generator's buffers; the parallel module adds a request's strategy buffers.
 *
 * @param what      what is planned, in words ("the dense generator for 32768 tokens")
 * @param items     name and bytes of every buffer group
 * @param freeBytes the device's free memory when planned
 */
public record MemoryPlan(String what, List<Item> items, long freeBytes) {

    /** Headroom kept free for the runtime, compiled modules and allocator slack. */
    public static final double HEADROOM = 0.05;

    /**
     * @param host whether the bytes are (pinned) host memory: listed with the plan, not set
     *             against the device's free memory
     */
    public record Item(String name, long bytes, boolean host) {
        public Item {
            if (bytes < 0) throw new IllegalArgumentException(name + ": negative size " + bytes);
        }

        /** Device memory. */
        public Item(String name, long bytes) { this(name, bytes, false); }

        /** Pinned host memory (staging): shown with the plan, not counted against the device. */
        public static Item host(String name, long bytes) { return new Item(name, bytes, true); }
    }

    public MemoryPlan {
        items = List.copyOf(items);
    }

    public static MemoryPlan of(String what, long freeBytes, Item... items) {
        return new MemoryPlan(what, List.of(items), freeBytes);
    }

    /** This plan with more items, and a new description. */
    public MemoryPlan plus(String newWhat, List<Item> more) {
        List<Item> all = new ArrayList<>(items);
        all.addAll(more);
        return new MemoryPlan(newWhat, all, freeBytes);
    }

    /** Bytes of all bf16 parameters, and the fp32 RoPE inverse frequencies. */
    public static long weightBytes(ModelConfig c, int retainingHidden) {
        long h = c.hiddenSize(), qd = c.qDim(), kvd = c.kvDim(), inter = c.intermediateSize();
        long perLayer = 2 * h                       // two RMSNorm weights
                + h * qd + 2 * h * kvd + qd * h      // q, k, v, o
                + (c.qkvBias() ? qd + 2 * kvd : 0)
                + 3 * h * inter                      // gate, up, down
                + (long) retainingHidden * (qd + 2 * kvd) + (long) retainingHidden * c.numKvHeads();
        long params = (long) c.vocabSize() * h * (c.tieWordEmbeddings() ? 1 : 2) + h + perLayer * c.numLayers();
        return params * 2 + c.headDim() / 2 * 4L;
    }

    /** Bytes of the bf16 K and V caches of every layer for {@code tokens} tokens. */
    public static long kvBytes(ModelConfig c, long tokens) {
        return tokens * c.numLayers() * 2L * c.kvDim() * 2L;
    }

    /** Device bytes of the plan (host items not included). */
    public long totalBytes() {
        long sum = 0;
        for (Item i : items) if (!i.host()) sum += i.bytes();
        return sum;
    }

    /** Pinned host bytes of the plan. */
    public long hostBytes() {
        long sum = 0;
        for (Item i : items) if (i.host()) sum += i.bytes();
        return sum;
    }

    /** The bytes of the item named {@code name} (0 if there is none). */
    public long bytes(String name) {
        long sum = 0;
        for (Item i : items) if (i.name().equals(name)) sum += i.bytes();
        return sum;
    }

    /** Memory the plan may use: the free memory less the headroom. */
    public long usableBytes() { return usable(freeBytes); }

    static long usable(long freeBytes) { return (long) (freeBytes * (1 - HEADROOM)); }

    public boolean fits() { return totalBytes() <= usableBytes(); }

    /**
     * Fails, before anything is allocated, when the plan does not fit: the message has what was
     * asked item by item, what is free, and {@code change} (what to change, with the numbers).
     */
    public void requireFits(String deviceName, String change) {
        if (fits()) return;
        throw new DoesNotFit(this, deviceName, change);
    }

    /**
     * "weights 14.96 GiB + KV cache for 32768 tokens 4.00 GiB + … = 19.3 GiB", then the host
     * items apart: "(besides 24.0 MiB of pinned host memory: staging 24.0 MiB)".
     */
    public String describeItems() {
        StringBuilder b = new StringBuilder();
        for (Item i : items) {
            if (i.bytes() == 0 || i.host()) continue;
            b.append(b.isEmpty() ? "" : " + ").append(i.name()).append(' ').append(gib(i.bytes()));
        }
        b.append(" = ").append(gib(totalBytes()));
        if (hostBytes() > 0) {
            b.append(" (besides ").append(gib(hostBytes())).append(" of pinned host memory:");
            for (Item i : items) if (i.host() && i.bytes() > 0) b.append(' ').append(i.name()).append(' ').append(gib(i.bytes()));
            b.append(')');
        }
        return b.toString();
    }

    @Override
    public String toString() { return what + ": " + describeItems() + " of " + gib(usableBytes()) + " usable"; }

    /** Bytes for people: "14.96 GiB", "7.5 MiB", "12.0 KiB". */
    static String gib(long bytes) {
        if (bytes >= 1L << 30) return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
        if (bytes >= 1L << 20) return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
        return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }

    /**
     * A plan that does not fit: refused before anything was allocated. A
     * {@link DeviceMemoryException}, so launchers report it as bad input in one line.
     */
    public static final class DoesNotFit extends DeviceMemoryException {
        private final transient MemoryPlan plan;

        DoesNotFit(MemoryPlan plan, String deviceName, String change) {
            super(String.format(Locale.ROOT, "%s does not fit on %s: it asks %s, but only %s of %s free is usable"
                            + " (%.0f%% headroom)%s", plan.what(), deviceName, plan.describeItems(), gib(plan.usableBytes()),
                    gib(plan.freeBytes()), HEADROOM * 100, change == null || change.isBlank() ? "" : "; " + change));
            this.plan = plan;
        }

        public MemoryPlan plan() { return plan; }
    }
}
