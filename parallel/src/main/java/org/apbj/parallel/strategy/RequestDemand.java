package org.apbj.parallel.strategy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apbj.model.MemoryPlan;

/**
 * What one request asks of a rank before it runs: its buffers as memory-plan items (the rank's
 * KV cache, the layer K/V of [anchor ; block], the passing blocks or the ring's double buffers,
 * workspace, phase 2, and the pinned host staging of the host path; from a dry run of its
 * allocations), and the most rows one layer-step call takes and keys one attention call reads
 * (what the layer steps must be reserved for).
 */
public record RequestDemand(List<MemoryPlan.Item> items, int rows, int keys) {

    public RequestDemand {
        items = List.copyOf(items);
    }

    /** Device bytes of the request's buffers (host staging not included). */
    public long bufferBytes() {
        long sum = 0;
        for (MemoryPlan.Item i : items) if (!i.host()) sum += i.bytes();
        return sum;
    }

    /** The larger of each figure, item by item: a job's demand over its requests. */
    public RequestDemand max(RequestDemand o) {
        Map<String, MemoryPlan.Item> largest = new LinkedHashMap<>();
        for (MemoryPlan.Item i : items) largest.merge(i.name(), i, RequestDemand::larger);
        for (MemoryPlan.Item i : o.items) largest.merge(i.name(), i, RequestDemand::larger);
        return new RequestDemand(new ArrayList<>(largest.values()), Math.max(rows, o.rows), Math.max(keys, o.keys));
    }

    private static MemoryPlan.Item larger(MemoryPlan.Item a, MemoryPlan.Item b) { return a.bytes() >= b.bytes() ? a : b; }
}
