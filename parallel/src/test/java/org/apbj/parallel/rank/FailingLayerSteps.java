package org.apbj.parallel.rank;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.runtime.Device;
import org.apbj.model.AttentionMask;
import org.apbj.model.LayerSteps;
import org.apbj.weights.ModelConfig;

/**
 * Delegates to real layer steps but throws in the FFN of one layer (a rank failing mid-layer),
 * or with {@code hangs} stops there (a rank that stops answering mid-layer, for a test to kill
 * while the other ranks wait in the next collective): it prints {@value #HANG_LINE} and the layer
 * first, so the test knows when.
 */
public record FailingLayerSteps(LayerSteps inner, int failingLayer, boolean hangs) implements LayerSteps {
    static final String HANG_LINE = "apbj-test: hanging in the FFN of layer ";

    public FailingLayerSteps(LayerSteps inner, int failingLayer) { this(inner, failingLayer, false); }

    @Override public ModelConfig config() { return inner.config(); }
    @Override public Device device() { return inner.device(); }
    @Override public void embed(I32Array t, int n, F32Array x) { inner.embed(t, n, x); }
    @Override public void projectQkv(int l, F32Array x, int n, F32Array q, BF16Array k, BF16Array v, int r) { inner.projectQkv(l, x, n, q, k, v, r); }
    @Override public void retainingScores(int l, F32Array q, BF16Array k, BF16Array v, int r, int n, F32Array s) { inner.retainingScores(l, q, k, v, r, n, s); }
    @Override public void rope(F32Array q, BF16Array k, int r, int n, I32Array p) { inner.rope(q, k, r, n, p); }
    @Override public void attention(F32Array q, int nq, BF16Array k, BF16Array v, AttentionMask m, F32Array o, F32Array l) { inner.attention(q, nq, k, v, m, o, l); }
    @Override public void mergeAttention(F32Array oa, F32Array la, F32Array ob, F32Array lb, int nq) { inner.mergeAttention(oa, la, ob, lb, nq); }
    @Override public void logits(F32Array x, int row, F32Array logits) { inner.logits(x, row, logits); }
    @Override public void selectTopK(F32Array s, int n, int e, int k, I32Array i) { inner.selectTopK(s, n, e, k, i); }
    @Override public void gatherKv(BF16Array sk, BF16Array sv, int sr, I32Array i, int k, BF16Array dk, BF16Array dv, int dr) { inner.gatherKv(sk, sv, sr, i, k, dk, dv, dr); }

    @Override
    public void finishLayer(int layer, F32Array x, F32Array attn, int n) {
        if (layer == failingLayer && hangs) hang(layer);
        if (layer == failingLayer) throw new IllegalStateException("injected failure in the FFN of layer " + layer);
        inner.finishLayer(layer, x, attn, n);
    }

    /** Stops answering for up to ten minutes (the test kills the process long before), then fails. */
    private static void hang(int layer) {
        System.out.println(HANG_LINE + layer);
        System.out.flush();
        try {
            Thread.sleep(600_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw new IllegalStateException("injected hang in the FFN of layer " + layer + " was not ended by a kill");
    }
}
