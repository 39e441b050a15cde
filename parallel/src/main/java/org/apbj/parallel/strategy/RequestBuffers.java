package org.apbj.parallel.strategy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.DeviceArray;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.runtime.Device;
import org.apbj.model.MemoryPlan;

/**
 * The device buffers of one request on one rank, each under the memory-plan item it belongs to
 * ({@link Group}), and the pinned host staging its collectives need on the host path. The same
 * allocation code runs twice: as a dry run ({@link #planning()}: nothing is allocated, every
 * allocation returns null and only its bytes are counted, so the plan is exactly what the run
 * allocates) and for real (the arrays are owned here and closed with it).
 */
final class RequestBuffers implements AutoCloseable {

    /** The plan items of a request's buffers. */
    enum Group {
        /** This rank's block K/V kept for phase 2, every layer (the last rank: room for the query and generated tokens). */
        KV_CACHE("KV cache of the rank's block"),
        /** The layer's K/V of the rows the rank computes: [anchor ; block] (APB, Star) or the block. */
        BLOCK_KV("layer K/V of [anchor ; block]"),
        /** APB: the selected block sent, the gathered blocks P, and attention over P before its merge. */
        PASSING("passing blocks (sent, gathered, attended)"),
        /** Ring: two K/V block slots, one arriving while the other is attended to, and the partial result. */
        RING("ring double buffers"),
        /** Hidden states, q, attention out and lse, token ids and positions, scores of the prefill rows. */
        WORKSPACE("prefill workspace"),
        /** Phase 2: the query rows' buffers, the gathered partial results of every rank, the logits. */
        PHASE2("query and decode buffers");

        final String item;

        Group(String item) { this.item = item; }
    }

    static final String STAGING_ITEM = "host-path staging";

    private final Device device;
    private final boolean planning;
    private final Map<Group, Long> bytes = new LinkedHashMap<>();
    private final List<DeviceArray> owned = new ArrayList<>();
    private long stagingSend, stagingRecv;

    private RequestBuffers(Device device, boolean planning) {
        this.device = device;
        this.planning = planning;
        for (Group g : Group.values()) bytes.put(g, 0L);
    }

    /** Buffers that are allocated on {@code device}. */
    static RequestBuffers allocating(Device device) { return new RequestBuffers(device, false); }

    /** A dry run: counts what would be allocated. */
    static RequestBuffers planning(Device device) { return new RequestBuffers(device, true); }

    boolean planning() { return planning; }

    F32Array f32(Group g, long n) { return planning ? planned(g, n, 4) : own(g, device.allocF32(Math.max(1, n))); }

    BF16Array bf16(Group g, long n) { return planning ? planned(g, n, 2) : own(g, device.allocBF16(Math.max(1, n))); }

    I32Array i32(Group g, long n) { return planning ? planned(g, n, 4) : own(g, device.allocI32(Math.max(1, n))); }

    /**
     * A collective the request will run, by the bytes a rank sends and receives in it: the host
     * path stages each in pinned host memory (one send and one receive area, grown to the largest).
     */
    void collective(long sendBytes, long recvBytes) {
        stagingSend = Math.max(stagingSend, sendBytes);
        stagingRecv = Math.max(stagingRecv, recvBytes);
    }

    private <A extends DeviceArray> A planned(Group g, long n, int elementBytes) {
        bytes.merge(g, Math.max(1, n) * elementBytes, Long::sum);
        return null;
    }

    private <A extends DeviceArray> A own(Group g, A a) {
        owned.add(a);
        bytes.merge(g, a.byteSize(), Long::sum);
        return a;
    }

    /** Device bytes of every group so far. */
    long deviceBytes() {
        long sum = 0;
        for (long b : bytes.values()) sum += b;
        return sum;
    }

    /** The plan items: one per group (zero where the method has none), then the host staging. */
    List<MemoryPlan.Item> items() {
        List<MemoryPlan.Item> items = new ArrayList<>();
        bytes.forEach((g, b) -> items.add(new MemoryPlan.Item(g.item, b)));
        items.add(MemoryPlan.Item.host(STAGING_ITEM, stagingSend + stagingRecv));
        return items;
    }

    @Override
    public void close() {
        owned.forEach(DeviceArray::close);
        owned.clear();
    }
}
