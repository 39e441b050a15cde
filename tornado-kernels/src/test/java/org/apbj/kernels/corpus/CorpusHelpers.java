package org.apbj.kernels.corpus;

import org.apbj.kernels.api.KernelMath;

/** Static helpers in another class than the kernels: the compiler inlines across classes. */
public final class CorpusHelpers {
    private CorpusHelpers() {}

    public static int mix(int v, int salt) {
        int h = v * 0x9E3779B1 + salt;
        return h ^ (h >>> 15);
    }

    public static float square(float x) { return x * x; }

    public static float softsign(float x) { return x / (1f + KernelMath.abs(x)); }

    /** 1 + x + x^2 + ... + x^degree, by Horner. */
    public static float polynomial(float x, int degree) {
        float r = 1f;
        for (int d = 0; d < degree; d++) r = r * x + 1f;
        return r;
    }
}
