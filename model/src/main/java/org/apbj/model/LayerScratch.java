package org.apbj.model;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.DeviceArray;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.lib.KernelOps;
import org.apbj.weights.ModelConfig;
import org.apbj.kernels.runtime.Device;

/**
 * The scratch buffers of {@link DeviceModel}'s layer steps for calls of up to {@code rows}
 * tokens, allocated once and reused by every layer; {@link #bytes} is what the memory plan counts.
 * With bf16 activations (devices with the bf16-input GEMM) the inputs of multi-row GEMMs are
 * bf16 and their gate/up products never exist in fp32 (the SwiGLU is fused into their GEMM);
 * calls of up to {@link KernelOps#MATVEC_MAX_ROWS} rows (decode) and other devices use fp32
 * activations.
 */
final class LayerScratch implements AutoCloseable {
    final int rows;
    final F32Array normed;              // RMSNorm output [rows, hidden]
    final F32Array gate, up;            // [rows, intermediate]; with bf16 activations only the few decode rows
    final BF16Array normedBf16;         // [rows, hidden], bf16 activations only
    final BF16Array attnBf16;           // [rows, qDim]
    final BF16Array hBf16;              // SwiGLU output [rows, intermediate]
    final boolean bf16Activations;
    final F32Array retainingHidden;     // [rows, retaining hidden] or null
    /**
     * The retaining heads' bf16 input [rows, (nH + 2·nKv)·d] (bf16 activations only): hBf16 when
     * that is large enough, since the FFN's intermediate is dead between finishLayer and the next
     * layer's scores; else its own buffer.
     */
    final BF16Array retainingInput;
    private final DeviceArray[] all;

    LayerScratch(Device d, ModelConfig c, int rows, int retainingWidth, boolean bf16Activations) {
        this.rows = rows;
        this.bf16Activations = bf16Activations;
        long r = rows;
        boolean heads = retainingWidth > 0;
        normed = d.allocF32(r * c.hiddenSize());
        long fp32Rows = bf16Activations ? Math.min(r, KernelOps.MATVEC_MAX_ROWS) : r;   // decode rows stay fp32
        gate = d.allocF32(fp32Rows * c.intermediateSize());
        up = d.allocF32(fp32Rows * c.intermediateSize());
        normedBf16 = bf16Activations ? d.allocBF16(r * c.hiddenSize()) : null;
        attnBf16 = bf16Activations ? d.allocBF16(r * c.qDim()) : null;
        hBf16 = bf16Activations ? d.allocBF16(r * c.intermediateSize()) : null;
        retainingHidden = heads ? d.allocF32(r * retainingWidth) : null;
        boolean ownInput = heads && bf16Activations && c.qkvDim() > c.intermediateSize();
        retainingInput = !heads || !bf16Activations ? null : ownInput ? d.allocBF16(r * c.qkvDim()) : hBf16;
        all = new DeviceArray[] {normed, gate, up, normedBf16, attnBf16, hBf16, retainingHidden, ownInput ? retainingInput : null};
    }

    /**
     * Bytes {@link #LayerScratch} may allocate for these sizes on any device: the larger of the
     * two layouts, since plans are made before the device is known (for Llama-like shapes the
     * fp32 layout's, which the bf16 one stays under).
     */
    static long bytes(ModelConfig c, int rows, int retainingWidth) {
        return Math.max(bytes(c, rows, retainingWidth, false), bytes(c, rows, retainingWidth, true));
    }

    /** Bytes {@link #LayerScratch} allocates with the given activation layout. */
    static long bytes(ModelConfig c, int rows, int retainingWidth, boolean bf16Activations) {
        long r = rows;
        long heads = retainingWidth > 0 ? r * retainingWidth * 4 : 0;
        if (retainingWidth > 0 && bf16Activations && c.qkvDim() > c.intermediateSize()) heads += r * c.qkvDim() * 2;
        long fp32 = r * (c.hiddenSize() + 2L * c.intermediateSize()) * 4;
        long bf16 = r * c.hiddenSize() * 4 + r * (c.hiddenSize() + (long) c.qDim() + c.intermediateSize()) * 2
                + Math.min(r, KernelOps.MATVEC_MAX_ROWS) * 2L * c.intermediateSize() * 4;
        return (bf16Activations ? bf16 : fp32) + heads;
    }

    @Override
    public void close() {
        for (DeviceArray a : all) if (a != null) a.close();
    }
}
