package org.apbj.model;

import org.apbj.kernels.api.DeviceArray;
import org.apbj.kernels.api.F32Array;
import org.apbj.weights.ModelConfig;
import org.apbj.kernels.runtime.Device;

/**
 * The scratch buffers of {@link DeviceModel}'s layer steps for calls of up to {@code rows}
 * tokens, allocated once and reused by every layer; {@link #bytes} is what the memory plan counts.
 */
final class LayerScratch implements AutoCloseable {
    final int rows;
    final F32Array normed;              // RMSNorm output [rows, hidden]
    final F32Array gate, up;            // [rows, intermediate]
    final F32Array retainingHidden;     // [rows, retaining hidden] or null
    final F32Array rawScores;           // [rows, nKv] or null
    private final DeviceArray[] all;

    LayerScratch(Device d, ModelConfig c, int rows, int retainingWidth) {
        this.rows = rows;
        long r = rows;
        boolean heads = retainingWidth > 0;
        normed = d.allocF32(r * c.hiddenSize());
        gate = d.allocF32(r * c.intermediateSize());
        up = d.allocF32(r * c.intermediateSize());
        retainingHidden = heads ? d.allocF32(r * retainingWidth) : null;
        rawScores = heads ? d.allocF32(r * c.numKvHeads()) : null;
        all = new DeviceArray[] {normed, gate, up, retainingHidden, rawScores};
    }

    /** Bytes {@link #LayerScratch} allocates for these sizes. */
    static long bytes(ModelConfig c, int rows, int retainingWidth) {
        long r = rows;
        long floats = r * (c.hiddenSize() + 2L * c.intermediateSize())
                + (retainingWidth > 0 ? r * (retainingWidth + c.numKvHeads()) : 0);
        return floats * 4;
    }

    @Override
    public void close() {
        for (DeviceArray a : all) if (a != null) a.close();
    }
}
