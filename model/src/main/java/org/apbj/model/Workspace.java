package org.apbj.model;

import org.apbj.kernels.api.DeviceArray;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.runtime.Device;
import org.apbj.weights.ModelConfig;

/**
 * The scratch buffers of one forward chunk of up to {@code rows} tokens, allocated once on the
 * device and reused by every layer and chunk. {@link #bytes} is what {@link MemoryPlan} counts.
 */
final class Workspace implements AutoCloseable {
    final int rows;
    final I32Array tokens, positions;   // [rows]
    final F32Array x;                   // residual stream [rows, hidden]
    final F32Array normed;              // RMSNorm output [rows, hidden]
    final F32Array q;                   // [rows, qDim]
    final F32Array attn;                // attention output [rows, qDim]
    final F32Array lse;                 // [rows, nHeads]
    final F32Array gate, up;            // [rows, intermediate]
    final F32Array logits;              // [vocab]
    final I32Array next;                // [1]: the greedy token
    final F32Array retainingHidden;     // [rows, retaining hidden] or null
    final F32Array rawScores;           // [rows, nKv] or null
    private final DeviceArray[] all;

    Workspace(Device d, ModelConfig c, int rows, int retainingWidth) {
        this.rows = rows;
        long r = rows;
        boolean heads = retainingWidth > 0;
        tokens = d.allocI32(r);
        positions = d.allocI32(r);
        x = d.allocF32(r * c.hiddenSize());
        normed = d.allocF32(r * c.hiddenSize());
        q = d.allocF32(r * c.qDim());
        attn = d.allocF32(r * c.qDim());
        lse = d.allocF32(r * c.numHeads());
        gate = d.allocF32(r * c.intermediateSize());
        up = d.allocF32(r * c.intermediateSize());
        logits = d.allocF32(c.vocabSize());
        next = d.allocI32(1);
        retainingHidden = heads ? d.allocF32(r * retainingWidth) : null;
        rawScores = heads ? d.allocF32(r * c.numKvHeads()) : null;
        all = new DeviceArray[] {tokens, positions, x, normed, q, attn, lse, gate, up, logits, next, retainingHidden,
                rawScores};
    }

    /** Bytes {@link #Workspace} allocates for these sizes. */
    static long bytes(ModelConfig c, int rows, int retainingWidth) {
        long r = rows;
        long floats = r * (2L * c.hiddenSize() + 2L * c.qDim() + c.numHeads() + 2L * c.intermediateSize())
                + c.vocabSize()
                + (retainingWidth > 0 ? r * (retainingWidth + c.numKvHeads()) : 0);
        return floats * 4 + (r * 2 + 1) * 4;
    }

    @Override
    public void close() {
        for (DeviceArray a : all) if (a != null) a.close();
    }
}
