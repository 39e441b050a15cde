package org.apbj.parallel.rank;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Device;
import org.apbj.model.AttentionMask;
import org.apbj.model.LayerSteps;
import org.apbj.weights.ModelConfig;

/**
 * Runs the layer steps of all ranks in this JVM one at a time, under a JVM-wide lock. For ranks
 * that share one CPU through PoCL: PoCL's program builds are not safe from several threads at
 * once (builds failed with "unable to rename temporary ... preproc.cl"), and ranks on one CPU
 * gain nothing from overlapping kernels anyway. Never held while waiting for other ranks.
 */
public final class SerializedLayerSteps implements LayerSteps, AutoCloseable {

    /** One object for the whole JVM, also across the class loaders of multicore ranks. */
    static final Object JVM_LOCK = "org.apbj.parallel.rank.SerializedLayerSteps".intern();

    private final LayerSteps inner;

    private SerializedLayerSteps(LayerSteps inner) { this.inner = inner; }

    /** {@code steps} itself, or serialized when its device is a PoCL (CPU OpenCL) device. */
    public static LayerSteps ifSharedCpu(LayerSteps steps) {
        Device d = steps.device();
        boolean pocl = d.backend() == Backend.OPENCL && d.name().contains("Portable Computing Language");
        return pocl ? new SerializedLayerSteps(steps) : steps;
    }

    @Override public ModelConfig config() { return inner.config(); }
    @Override public Device device() { return inner.device(); }

    @Override public void reserve(int rows, int keys) { synchronized (JVM_LOCK) { inner.reserve(rows, keys); } }

    @Override public long pendingBytes(int rows, int keys) { return inner.pendingBytes(rows, keys); }

    @Override public void embed(I32Array t, int n, F32Array x) { synchronized (JVM_LOCK) { inner.embed(t, n, x); } }

    @Override
    public void projectQkv(int l, F32Array x, int n, F32Array q, BF16Array k, BF16Array v, int r) {
        synchronized (JVM_LOCK) { inner.projectQkv(l, x, n, q, k, v, r); }
    }

    @Override
    public void retainingScores(int l, F32Array q, BF16Array k, BF16Array v, int r, int n, F32Array s) {
        synchronized (JVM_LOCK) { inner.retainingScores(l, q, k, v, r, n, s); }
    }

    @Override public void rope(F32Array q, BF16Array k, int r, int n, I32Array p) { synchronized (JVM_LOCK) { inner.rope(q, k, r, n, p); } }

    @Override
    public void attention(F32Array q, int nq, BF16Array k, BF16Array v, AttentionMask m, F32Array o, F32Array l) {
        synchronized (JVM_LOCK) { inner.attention(q, nq, k, v, m, o, l); }
    }

    @Override
    public void mergeAttention(F32Array oa, F32Array la, F32Array ob, F32Array lb, int nq) {
        synchronized (JVM_LOCK) { inner.mergeAttention(oa, la, ob, lb, nq); }
    }

    @Override public void finishLayer(int l, F32Array x, F32Array a, int n) { synchronized (JVM_LOCK) { inner.finishLayer(l, x, a, n); } }

    @Override public void logits(F32Array x, int row, F32Array out) { synchronized (JVM_LOCK) { inner.logits(x, row, out); } }

    @Override
    public void selectTopK(F32Array s, int n, int e, int k, I32Array i) { synchronized (JVM_LOCK) { inner.selectTopK(s, n, e, k, i); } }

    @Override
    public void gatherKv(BF16Array sk, BF16Array sv, int sr, I32Array i, int k, BF16Array dk, BF16Array dv, int dr) {
        synchronized (JVM_LOCK) { inner.gatherKv(sk, sv, sr, i, k, dk, dv, dr); }
    }

    @Override
    public void close() throws Exception {
        if (inner instanceof AutoCloseable c) c.close();
    }
}
