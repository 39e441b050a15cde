package org.apbj.kernels.lib;

import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.KernelMath;

/**
 * Choosing the next token from a logits row, in one group (Grid.groups(1, threads), threads a
 * multiple of 32, at most {@link #MAX_THREADS}); the result is written to {@code result[0]}.
 */
public final class Sampling {
    private Sampling() {}

    public static final int MAX_THREADS = 1024;

    /** Index of the largest logit; ties (and NaN-free rows only) go to the lowest index. */
    public static void argmax(KernelContext ctx, I32Array result, F32Array logits, int n) {
        int tid = ctx.localIdx;
        int threads = ctx.localGroupSizeX;
        float[] warpBest = ctx.allocateFloatLocalArray(MAX_THREADS / 32);
        int[] warpIndex = ctx.allocateIntLocalArray(MAX_THREADS / 32);
        float best = Float.NEGATIVE_INFINITY;
        int bestIndex = n;
        for (int i = tid; i < n; i += threads) {
            float v = logits.get(i);
            if (v > best || bestIndex == n) {
                best = v;
                bestIndex = i;
            }
        }
        for (int mask = 16; mask > 0; mask >>= 1) {
            float otherBest = ctx.shuffleXor(best, mask);
            int otherIndex = ctx.shuffleXor(bestIndex, mask);
            if (otherBest > best || (otherBest == best && otherIndex < bestIndex)) {
                best = otherBest;
                bestIndex = otherIndex;
            }
        }
        if ((tid & 31) == 0) {
            warpBest[tid >> 5] = best;
            warpIndex[tid >> 5] = bestIndex;
        }
        ctx.localBarrier();
        if (tid == 0) {
            for (int w = 1; w < threads >> 5; w++) {
                if (warpBest[w] > best || (warpBest[w] == best && warpIndex[w] < bestIndex)) {
                    best = warpBest[w];
                    bestIndex = warpIndex[w];
                }
            }
            result.set(0, bestIndex);
        }
    }

    /**
     * Samples from softmax(logits / temperature) restricted to the top-p nucleus, driven by
     * {@code uniform} in [0, 1): deterministic for a given uniform number and launch.
     *
     * <p>The nucleus is every token whose logit is at or above the largest threshold τ with
     * mass(logit ≥ τ) ≥ topP (found by a 32-step bisection on the float bits, no sort); this
     * is Hugging Face's TopP rule except that all tokens tied with the boundary token are kept.
     * The token is the first index (in vocabulary order) at which the running nucleus mass
     * exceeds uniform · (nucleus mass). temperature must be > 0 (use {@link #argmax} for greedy);
     * topP ≥ 1 keeps every token.
     */
    public static void sampleTopP(KernelContext ctx, I32Array result, F32Array logits, int n, float temperature,
                                  float topP, float uniform) {
        int tid = ctx.localIdx;
        int threads = ctx.localGroupSizeX;
        float[] warpFloats = ctx.allocateFloatLocalArray(MAX_THREADS / 32);
        float[] runs = ctx.allocateFloatLocalArray(MAX_THREADS);
        int[] warpInts = ctx.allocateIntLocalArray(MAX_THREADS / 32);

        int per = (n + threads - 1) / threads;
        int from = tid * per;
        int to = Math.min(from + per, n);
        float invT = 1.0f / temperature;

        float localMax = Float.NEGATIVE_INFINITY;
        for (int i = from; i < to; i++) localMax = KernelMath.max(localMax, logits.get(i));
        float max = groupMax(ctx, warpFloats, localMax, tid, threads);

        // Nucleus threshold (as a float key): the largest τ with mass(key ≥ τ) ≥ topP·Z.
        int kth = Integer.MIN_VALUE;
        if (topP < 1.0f) {
            float z = 0.0f;
            for (int i = from; i < to; i++) z += KernelMath.exp((logits.get(i) - max) * invT);
            float target = topP * groupSum(ctx, warpFloats, z, tid, threads);
            int u = 0;
            for (int bit = 31; bit >= 0; bit--) {
                int candidate = u | (1 << bit);
                int threshold = candidate ^ Integer.MIN_VALUE;
                float mass = 0.0f;
                for (int i = from; i < to; i++) {
                    float v = logits.get(i);
                    if (TopK.key(v) >= threshold) mass += KernelMath.exp((v - max) * invT);
                }
                if (groupSum(ctx, warpFloats, mass, tid, threads) >= target) u = candidate;
            }
            kth = u ^ Integer.MIN_VALUE;
        }

        float mine = 0.0f;
        int lastKept = -1;
        for (int i = from; i < to; i++) {
            float v = logits.get(i);
            if (TopK.key(v) >= kth) {
                mine += KernelMath.exp((v - max) * invT);
                lastKept = i;
            }
        }
        runs[tid] = mine;
        ctx.localBarrier();
        if (tid == 0) {   // exclusive scan of the per-run masses, in run (= index) order
            float run = 0.0f;
            for (int i = 0; i < threads; i++) {
                float c = runs[i];
                runs[i] = run;
                run += c;
            }
        }
        ctx.localBarrier();
        float before = runs[tid];
        // The last run's end is the nucleus mass; every other work-item offers 0 to the max.
        float total = groupMax(ctx, warpFloats, tid == threads - 1 ? before + mine : 0.0f, tid, threads);
        float target = uniform * total;

        int chosen = n;
        if (before + mine > target) {
            float cum = before;
            for (int i = from; i < to && chosen == n; i++) {
                float v = logits.get(i);
                if (TopK.key(v) >= kth) {
                    cum += KernelMath.exp((v - max) * invT);
                    if (cum > target) chosen = i;
                }
            }
        }
        int first = groupMinInt(ctx, warpInts, chosen, tid, threads);
        int last = -groupMinInt(ctx, warpInts, -lastKept, tid, threads);
        if (tid == 0) result.set(0, first < n ? first : last);   // rounding left target past the end
    }

    static float groupSum(KernelContext ctx, float[] warpPartials, float value, int tid, int threads) {
        float w = ctx.warpReduceSum(value);
        if ((tid & 31) == 0) warpPartials[tid >> 5] = w;
        ctx.localBarrier();
        float total = 0.0f;
        for (int i = 0; i < threads >> 5; i++) total += warpPartials[i];
        ctx.localBarrier();
        return total;
    }

    static float groupMax(KernelContext ctx, float[] warpPartials, float value, int tid, int threads) {
        float w = ctx.warpReduceMax(value);
        if ((tid & 31) == 0) warpPartials[tid >> 5] = w;
        ctx.localBarrier();
        float best = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < threads >> 5; i++) best = KernelMath.max(best, warpPartials[i]);
        ctx.localBarrier();
        return best;
    }

    static int groupMinInt(KernelContext ctx, int[] warpPartials, int value, int tid, int threads) {
        int w = -ctx.warpReduceMax(-value);
        if ((tid & 31) == 0) warpPartials[tid >> 5] = w;
        ctx.localBarrier();
        int best = Integer.MAX_VALUE;
        for (int i = 0; i < threads >> 5; i++) best = Math.min(best, warpPartials[i]);
        ctx.localBarrier();
        return best;
    }
}
