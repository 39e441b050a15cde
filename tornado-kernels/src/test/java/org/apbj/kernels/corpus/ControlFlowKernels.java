package org.apbj.kernels.corpus;

import org.apbj.kernels.api.Constant;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.KernelContext;

/** Corpus: loops, break/continue, switches, ternaries, inlined helpers, constants, private arrays. */
public final class ControlFlowKernels {
    private ControlFlowKernels() {}

    static final int TABLE_SIZE = 8;
    static final float SCALE = computeScale();

    private static float computeScale() { return 0.25f; }

    /** out = a (m x k) * b (k x n), one work-item per output element, nested loops. */
    public static void matmul(KernelContext ctx, F32Array out, F32Array a, F32Array b, int m, int n, int k) {
        int idx = ctx.globalIdx;
        if (idx >= m * n) return;
        int row = idx / n, col = idx % n;
        float acc = 0f;
        for (int p = 0; p < k; p++) acc += a.get(row * k + p) * b.get(p * n + col);
        out.set(idx, acc);
    }

    /** Nested loops with labelled break and continue. */
    public static void breakContinue(KernelContext ctx, I32Array out, I32Array a) {
        int i = ctx.globalIdx;
        int seed = a.get(i);
        int count = 0;
        outer:
        for (int x = 0; x < 16; x++) {
            if ((x & 3) == 1) continue;
            for (int y = 0; y < 16; y++) {
                if (y > x) break;
                if (((seed >>> (x + y)) & 1) == 0) continue;
                count += x * y + 1;
                if (count > 400) break outer;
            }
        }
        out.set(i, count);
    }

    public static void whileLoops(KernelContext ctx, I32Array out, I32Array a) {
        int i = ctx.globalIdx;
        int v = a.get(i) & 0x7fffffff;
        int steps = 0;
        while (v != 1 && v != 0 && steps < 500) {
            v = (v & 1) == 0 ? v >> 1 : 3 * v + 1;
            steps++;
        }
        int d = 0;
        do { d += steps; steps >>= 1; } while (steps > 0);
        out.set(i, d);
    }

    /** A dense switch (tableswitch) with fall-through. */
    public static void tableSwitch(KernelContext ctx, I32Array out, I32Array a) {
        int i = ctx.globalIdx;
        int v = a.get(i);
        int r;
        switch (v & 7) {
            case 0: r = 10; break;
            case 1: r = v * 2; break;
            case 2:
            case 3: r = v + 5; break;
            case 4: r = -v;
            // fall through
            case 5: r = v - 1; break;
            default: r = 99;
        }
        out.set(i, r);
    }

    /** A sparse switch (lookupswitch) as a switch expression. */
    public static void lookupSwitch(KernelContext ctx, I32Array out, I32Array a) {
        int i = ctx.globalIdx;
        int v = a.get(i) % 2000;
        out.set(i, switch (v) {
            case -1000 -> 1;
            case 7 -> 2;
            case 100 -> 3;
            case 1999 -> v * 4;
            default -> v < 0 ? -5 : 5;
        });
    }

    /** Ternaries leave values on the operand stack across blocks. */
    public static void ternaries(KernelContext ctx, F32Array out, F32Array a, I32Array b) {
        int i = ctx.globalIdx;
        float x = a.get(i);
        int k = b.get(i);
        float y = (x > 0 ? x : -x) + (k > 0 ? (k > 100 ? 1f : 2f) : 3f);
        out.set(i, x == x ? y * (k % 2 == 0 ? 0.5f : 1.5f) : -1f);
    }

    private static int classify(int v) {
        if (v < 0) return -1;
        if (v == 0) return 0;
        for (int b = 30; b >= 0; b--) {
            if ((v >>> b) != 0) return b + 1;
        }
        return 100;
    }

    private static float clampedScale(float x, float lo, float hi) {
        float s = x * SCALE;
        if (s < lo) return lo;
        return s > hi ? hi : s;
    }

    /** Inlined helpers with several returns, a static final computed constant, and a helper calling a helper. */
    public static void helpers(KernelContext ctx, I32Array out, F32Array fout, I32Array a, F32Array f) {
        int i = ctx.globalIdx;
        out.set(i, classify(a.get(i)) + CorpusHelpers.mix(a.get(i), i));
        fout.set(i, clampedScale(f.get(i), -1f, 1f) + CorpusHelpers.square(f.get(i)));
    }

    /** Cross-class inlining: a helper in another class that itself calls KernelMath and another helper. */
    public static void crossClass(KernelContext ctx, F32Array out, F32Array x, int n) {
        int i = ctx.globalIdx;
        if (i < n) out.set(i, CorpusHelpers.softsign(x.get(i)) + CorpusHelpers.polynomial(x.get(i), 3));
    }

    /** @Constant parameters fold into loop bounds and private array sizes. */
    public static void constantTile(KernelContext ctx, F32Array out, F32Array in, @Constant int tile, @Constant float bias) {
        int base = ctx.globalIdx * tile;
        float[] window = new float[tile];
        for (int t = 0; t < tile; t++) window[t] = in.get(base + t);
        float acc = bias;
        for (int t = tile - 1; t >= 0; t--) acc = acc * 0.5f + window[t];
        out.set(ctx.globalIdx, acc);
    }

    /** Private arrays (zero-initialised) used as accumulators, with constant and variable indices. */
    public static void privateArrays(KernelContext ctx, I32Array out, I32Array a) {
        int i = ctx.globalIdx;
        int[] hist = new int[TABLE_SIZE];
        float[] weights = new float[4];
        weights[0] = 1f;
        weights[3] = 2f;
        for (int k = 0; k < 32; k++) {
            int v = a.get(i * 32 + k);
            hist[v & (TABLE_SIZE - 1)] += 1 + (int) weights[k & 3];
        }
        int r = 0;
        for (int k = 0; k < hist.length; k++) r = r * 3 + hist[k];
        out.set(i, r);
    }

    /** A boolean-producing expression, nested conditions with && and ||. */
    public static void conditions(KernelContext ctx, I32Array out, I32Array a, I32Array b) {
        int i = ctx.globalIdx;
        int x = a.get(i), y = b.get(i);
        boolean p = x > y && (x & 1) == 0 || y < -5;
        boolean q = !p ^ (x == Integer.MIN_VALUE);
        out.set(i, (p ? 1 : 0) + (q ? 2 : 0) + (x > 0 == y > 0 ? 4 : 0));
    }
}
