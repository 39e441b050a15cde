package org.apbj.parallel.strategy;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.runtime.Device;
import org.apbj.model.AttentionMask;
import org.apbj.model.LayerSteps;
import org.apbj.parallel.comm.Communicator;
import org.apbj.weights.ModelConfig;

/** Creates the strategy of a method for one rank. */
public final class Strategies {
    private Strategies() {}

    public static Strategy create(Method method, LayerSteps steps, Communicator comm, StrategyOptions options) {
        return switch (method) {
            case RING -> new RingPrefill(steps, comm, options);
            case DENSE, STAR, APB -> new AnchoredPrefill(method, steps, comm, options);
        };
    }

    /**
     * What a request of these lengths will ask of this rank (buffer bytes, rows and keys the
     * layer steps must be reserved for), before any model is loaded: a dry run of the strategy's
     * allocations on {@code device}; nothing is allocated and nothing is communicated.
     */
    public static RequestDemand demand(Method method, ModelConfig cfg, Device device, Communicator comm,
                                       StrategyOptions options, int contextLength, int queryLength) {
        Strategy s = create(method, new ShapeOnly(cfg, device), comm, options);
        try {
            return ((RankStrategy) s).demand(contextLength, queryLength);
        } finally {
            s.close();
        }
    }

    /** Layer steps that only know their shape: what a dry run needs. */
    private record ShapeOnly(ModelConfig config, Device device) implements LayerSteps {
        private static UnsupportedOperationException planningOnly() {
            return new UnsupportedOperationException("layer steps of a memory plan run nothing");
        }

        @Override public void embed(I32Array t, int n, F32Array x) { throw planningOnly(); }
        @Override public void projectQkv(int l, F32Array x, int n, F32Array q, BF16Array k, BF16Array v, int r) { throw planningOnly(); }
        @Override public void retainingScores(int l, F32Array q, BF16Array k, BF16Array v, int r, int n, F32Array s) { throw planningOnly(); }
        @Override public void rope(F32Array q, BF16Array k, int r, int n, I32Array p) { throw planningOnly(); }
        @Override public void attention(F32Array q, int nq, BF16Array k, BF16Array v, AttentionMask m, F32Array o, F32Array l) { throw planningOnly(); }
        @Override public void mergeAttention(F32Array oa, F32Array la, F32Array ob, F32Array lb, int nq) { throw planningOnly(); }
        @Override public void finishLayer(int l, F32Array x, F32Array a, int n) { throw planningOnly(); }
        @Override public void logits(F32Array x, int row, F32Array out) { throw planningOnly(); }
        @Override public void selectTopK(F32Array s, int n, int e, int k, I32Array i) { throw planningOnly(); }
        @Override public void gatherKv(BF16Array sk, BF16Array sv, int sr, I32Array i, int k, BF16Array dk, BF16Array dv, int dr) { throw planningOnly(); }
    }
}
