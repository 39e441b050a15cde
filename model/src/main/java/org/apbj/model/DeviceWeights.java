package org.apbj.model;

import java.util.ArrayList;
import java.util.List;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.DeviceArray;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.HostBuffer;
import org.apbj.kernels.api.KernelMath;
import org.apbj.kernels.lib.Rope;
import org.apbj.kernels.runtime.Device;
import org.apbj.weights.DType;
import org.apbj.weights.LayerWeights;
import org.apbj.weights.ModelConfig;
import org.apbj.weights.ModelWeights;
import org.apbj.weights.ProgressListener;
import org.apbj.weights.RetainingHeads;
import org.apbj.weights.Tensor;

/** A model's parameters on a device, all bf16, plus the fp32 RoPE inverse frequencies. */
final class DeviceWeights implements AutoCloseable {

    /** One layer's parameters; biases null unless the model has them, fc1/fc2 null without retaining heads. */
    record LayerOnDevice(BF16Array inputNorm, BF16Array wq, BF16Array bq, BF16Array wk, BF16Array bk, BF16Array wv,
                         BF16Array bv, BF16Array wo, BF16Array postNorm, BF16Array gate, BF16Array up, BF16Array down,
                         BF16Array fc1, BF16Array fc2) {}

    final BF16Array embed, lmHead, finalNorm;
    final LayerOnDevice[] layers;
    final F32Array invFreq;   // [d/2]
    private final int retainingHidden;
    private final List<DeviceArray> owned;

    private DeviceWeights(BF16Array embed, BF16Array lmHead, BF16Array finalNorm, LayerOnDevice[] layers,
                          F32Array invFreq, int retainingHidden, List<DeviceArray> owned) {
        this.embed = embed;
        this.lmHead = lmHead;
        this.finalNorm = finalNorm;
        this.layers = layers;
        this.invFreq = invFreq;
        this.retainingHidden = retainingHidden;
        this.owned = owned;
    }

    int retainingHidden() { return retainingHidden; }

    static DeviceWeights upload(Device device, ModelWeights w, RetainingHeads heads) {
        return upload(device, w, heads, ProgressListener.NONE);
    }

    /** {@code progress} sees the device bytes uploaded so far, after each tensor ("layer 3" as the file). */
    static DeviceWeights upload(Device device, ModelWeights w, RetainingHeads heads, ProgressListener progress) {
        ModelConfig cfg = w.config();
        if (heads != null && heads.config().numLayers() != cfg.numLayers()) {
            throw new IllegalArgumentException("retaining heads are for " + heads.config().numLayers()
                    + " layers, the model has " + cfg.numLayers());
        }
        List<DeviceArray> owned = new ArrayList<>();
        try {
            Uploader up = new Uploader(device, owned, progress, deviceBytes(w, heads));
            up.part = "embeddings";
            BF16Array embed = up.bf16(w.embedTokens());
            BF16Array lmHead = cfg.tieWordEmbeddings() ? embed : up.bf16(w.lmHead());
            BF16Array norm = up.bf16(w.finalNorm());
            LayerOnDevice[] layers = new LayerOnDevice[cfg.numLayers()];
            for (int l = 0; l < layers.length; l++) {
                LayerWeights lw = w.layer(l);
                up.part = "layer " + l;
                layers[l] = new LayerOnDevice(up.bf16(lw.inputNorm()),
                        up.bf16(lw.qProj()), up.bf16OrNull(lw.qBias()),
                        up.bf16(lw.kProj()), up.bf16OrNull(lw.kBias()),
                        up.bf16(lw.vProj()), up.bf16OrNull(lw.vBias()),
                        up.bf16(lw.oProj()), up.bf16(lw.postAttentionNorm()),
                        up.bf16(lw.gateProj()), up.bf16(lw.upProj()), up.bf16(lw.downProj()),
                        heads == null ? null : up.bf16(heads.fc1(l)), heads == null ? null : up.bf16(heads.fc2(l)));
            }
            F32Array invFreq = up.f32(F32Array.fromArray(inverseFrequencies(cfg)));
            return new DeviceWeights(embed, lmHead, norm, layers, invFreq, heads == null ? 0 : heads.hiddenSize(), owned);
        } catch (RuntimeException e) {
            owned.forEach(DeviceArray::close);
            throw e;
        }
    }

    /** The bf16 bytes {@link #upload} copies to the device (the RoPE table aside). */
    static long deviceBytes(ModelWeights w, RetainingHeads heads) {
        ModelConfig cfg = w.config();
        long n = w.embedTokens().numel() + (cfg.tieWordEmbeddings() ? 0 : w.lmHead().numel()) + w.finalNorm().numel();
        for (int l = 0; l < cfg.numLayers(); l++) {
            LayerWeights lw = w.layer(l);
            for (Tensor t : new Tensor[] {lw.inputNorm(), lw.qProj(), lw.qBias(), lw.kProj(), lw.kBias(), lw.vProj(), lw.vBias(),
                    lw.oProj(), lw.postAttentionNorm(), lw.gateProj(), lw.upProj(), lw.downProj()}) {
                if (t != null) n += t.numel();
            }
            if (heads != null) n += heads.fc1(l).numel() + heads.fc2(l).numel();
        }
        return 2 * n;
    }

    /** The kernel library's inverse frequencies for this config (plain, or Llama-3 scaled). */
    static float[] inverseFrequencies(ModelConfig cfg) {
        ModelConfig.RopeScaling s = cfg.ropeScaling();
        return s == null
                ? Rope.inverseFrequencies(cfg.headDim(), cfg.ropeTheta(), 0, 0, 0, 0)
                : Rope.inverseFrequencies(cfg.headDim(), cfg.ropeTheta(), s.factor(), s.lowFreqFactor(), s.highFreqFactor(),
                        s.originalMaxPositionEmbeddings());
    }

    /** Copies tensors to the device as bf16, remembering every allocation and reporting the bytes done. */
    private static final class Uploader {
        private static final long CONVERT_CHUNK = 1 << 20;
        private final Device device;
        private final List<DeviceArray> owned;
        private final ProgressListener progress;
        private final long total;
        private long done;
        String part = "";

        Uploader(Device device, List<DeviceArray> owned, ProgressListener progress, long total) {
            this.device = device;
            this.owned = owned;
            this.progress = progress;
            this.total = total;
        }

        BF16Array bf16OrNull(Tensor t) { return t == null ? null : bf16(t); }

        BF16Array bf16(Tensor t) {
            BF16Array dst = device.allocBF16(t.numel());
            owned.add(dst);
            if (t.dtype() == DType.BF16) {
                device.copy(dst, 0, new BF16Array(HostBuffer.view(t.segment())), 0, t.numel());
                return uploaded(dst, t);
            }
            // F32 / F16 checkpoints: round to bf16 a chunk at a time
            BF16Array host = BF16Array.allocate(Math.min(CONVERT_CHUNK, t.numel()));
            try {
                float[] buf = new float[(int) host.length()];
                for (long first = 0; first < t.numel(); first += buf.length) {
                    int n = (int) Math.min(buf.length, t.numel() - first);
                    t.readFloats(first, buf, 0, n);
                    for (int i = 0; i < n; i++) host.set(i, KernelMath.floatToBf16(buf[i]));
                    device.copy(dst, first, host, 0, n);
                }
            } finally {
                host.close();
            }
            return uploaded(dst, t);
        }

        private BF16Array uploaded(BF16Array dst, Tensor t) {
            done += 2 * t.numel();
            progress.onProgress(done, total, part);
            return dst;
        }

        F32Array f32(F32Array hostArray) {
            try {
                F32Array dst = device.upload(hostArray);
                owned.add(dst);
                return dst;
            } finally {
                hostArray.close();
            }
        }
    }

    @Override
    public void close() {
        owned.forEach(DeviceArray::close);
    }
}
