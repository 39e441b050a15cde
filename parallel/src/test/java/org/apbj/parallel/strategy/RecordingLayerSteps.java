package org.apbj.parallel.strategy;

import java.util.List;
import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.runtime.Device;
import org.apbj.model.AttentionMask;
import org.apbj.model.LayerSteps;
import org.apbj.weights.ModelConfig;

/**
 * Layer steps that write each call into a log, "second:" or "main:" by the queue its work goes to
 * (the device's second queue while its run is under way), beside the device's own orderings, and
 * then compute through {@code inner}: the order one rank enqueued its work in.
 */
final class RecordingLayerSteps implements LayerSteps {
    private final LayerSteps inner;
    private final HostDevice device;
    private final List<String> log;

    RecordingLayerSteps(LayerSteps inner, List<String> log) {
        this.inner = inner;
        this.log = log;
        this.device = new HostDevice(log);
    }

    private void note(String step, int layer) {
        log.add((device.inSecondQueue() ? "second:" : "main:") + step + (layer >= 0 ? "/" + layer : ""));
    }

    @Override public ModelConfig config() { return inner.config(); }
    @Override public Device device() { return device; }
    @Override public void embed(I32Array tokens, int n, F32Array x) { note("embed", -1); inner.embed(tokens, n, x); }

    @Override
    public void projectQkv(int layer, F32Array x, int n, F32Array q, BF16Array k, BF16Array v, int kvRow) {
        note("projectQkv", layer);
        inner.projectQkv(layer, x, n, q, k, v, kvRow);
    }

    @Override
    public void retainingScores(int layer, F32Array q, BF16Array k, BF16Array v, int kvRow, int n, F32Array scores) {
        note("retainingScores", layer);
        inner.retainingScores(layer, q, k, v, kvRow, n, scores);
    }

    @Override
    public void rope(F32Array q, BF16Array k, int kvRow, int n, I32Array positions) {
        note("rope", -1);
        inner.rope(q, k, kvRow, n, positions);
    }

    @Override
    public void attention(F32Array q, int nq, BF16Array k, BF16Array v, AttentionMask mask, F32Array out, F32Array lse) {
        note("attention", -1);
        inner.attention(q, nq, k, v, mask, out, lse);
    }

    @Override
    public void mergeAttention(F32Array outA, F32Array lseA, F32Array outB, F32Array lseB, int nq) {
        note("merge", -1);
        inner.mergeAttention(outA, lseA, outB, lseB, nq);
    }

    @Override
    public void finishLayer(int layer, F32Array x, F32Array attn, int n) {
        note("finishLayer", layer);
        inner.finishLayer(layer, x, attn, n);
    }

    @Override public void logits(F32Array x, int row, F32Array logits) { note("logits", -1); inner.logits(x, row, logits); }

    @Override
    public void selectTopK(F32Array scores, int n, int excludeFirst, int k, I32Array indices) {
        note("selectTopK", -1);
        inner.selectTopK(scores, n, excludeFirst, k, indices);
    }

    @Override
    public void gatherKv(BF16Array srcK, BF16Array srcV, int srcRow, I32Array indices, int k, BF16Array dstK, BF16Array dstV, int dstRow) {
        note("gatherKv", -1);
        inner.gatherKv(srcK, srcV, srcRow, indices, k, dstK, dstV, dstRow);
    }
}
