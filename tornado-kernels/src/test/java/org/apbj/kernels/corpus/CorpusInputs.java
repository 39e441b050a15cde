package org.apbj.kernels.corpus;

import java.util.Random;
import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.I64Array;
import org.apbj.kernels.api.I8Array;

/** Random host arrays for the corpus, salted with the edge cases each type has. */
public final class CorpusInputs {
    private CorpusInputs() {}

    private static final float[] FLOAT_EDGES = {0f, -0f, 1f, -1f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
            Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE, 0.5f, 2.5f, -2.5f, 3e9f, -3e9f,
            1e20f, -1e20f, 2147483647f, -2147483648f, 65504f, 65520f, 1e-40f};
    private static final int[] INT_EDGES = {0, 1, -1, 2, -2, Integer.MIN_VALUE, Integer.MAX_VALUE, Integer.MIN_VALUE + 1, 31, 32, 33, 63, 64, -31, 255, 65535, 0x8000, -0x8000};
    private static final long[] LONG_EDGES = {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, Integer.MIN_VALUE, Integer.MAX_VALUE, 1L << 32, -(1L << 32) - 7};

    /** Floats of varied magnitude and sign, every tenth an edge case (NaN, infinities, zeros, subnormals, extremes). */
    public static F32Array floats(Random r, int n) {
        F32Array a = F32Array.allocate(n);
        for (int i = 0; i < n; i++) {
            a.set(i, i % 10 == 3 ? FLOAT_EDGES[r.nextInt(FLOAT_EDGES.length)] : (float) (r.nextGaussian() * Math.pow(10, r.nextInt(7) - 3)));
        }
        return a;
    }

    /** Finite floats in [lo, hi). */
    public static F32Array floatsIn(Random r, int n, float lo, float hi) {
        F32Array a = F32Array.allocate(n);
        for (int i = 0; i < n; i++) a.set(i, lo + (hi - lo) * r.nextFloat());
        return a;
    }

    /** Small integers as floats: sums of them are exact in any order. */
    public static F32Array smallIntegerFloats(Random r, int n) {
        F32Array a = F32Array.allocate(n);
        for (int i = 0; i < n; i++) a.set(i, r.nextInt(201) - 100);
        return a;
    }

    public static I32Array ints(Random r, int n) {
        I32Array a = I32Array.allocate(n);
        for (int i = 0; i < n; i++) a.set(i, i % 7 == 2 ? INT_EDGES[r.nextInt(INT_EDGES.length)] : r.nextInt());
        return a;
    }

    public static I32Array intsIn(Random r, int n, int lo, int hi) {
        I32Array a = I32Array.allocate(n);
        for (int i = 0; i < n; i++) a.set(i, lo + r.nextInt(hi - lo));
        return a;
    }

    /** Non-zero ints including negatives, MIN_VALUE and -1 (divisors). */
    public static I32Array nonZeroInts(Random r, int n) {
        I32Array a = ints(r, n);
        for (int i = 0; i < n; i++) {
            if (a.get(i) == 0) a.set(i, -1);
            if (i % 5 == 1) a.set(i, r.nextInt(19) - 9 == 0 ? 7 : r.nextInt(19) - 9 | 1);
        }
        return a;
    }

    public static I64Array longs(Random r, int n) {
        I64Array a = I64Array.allocate(n);
        for (int i = 0; i < n; i++) a.set(i, i % 7 == 2 ? LONG_EDGES[r.nextInt(LONG_EDGES.length)] : r.nextLong() >> r.nextInt(40));
        return a;
    }

    public static I64Array nonZeroLongs(Random r, int n) {
        I64Array a = longs(r, n);
        for (int i = 0; i < n; i++) {
            if (a.get(i) == 0) a.set(i, -1);
            if (i % 5 == 1) a.set(i, (r.nextInt(9) + 1) * (r.nextBoolean() ? 1 : -1));
        }
        return a;
    }

    public static I8Array bytes(Random r, int n) {
        I8Array a = I8Array.allocate(n);
        for (int i = 0; i < n; i++) a.set(i, (byte) r.nextInt());
        return a;
    }

    /** bfloat16 patterns: every pattern class (NaN, infinities, subnormals) occurs. */
    public static BF16Array bf16Bits(Random r, int n) {
        BF16Array a = BF16Array.allocate(n);
        for (int i = 0; i < n; i++) a.set(i, (short) r.nextInt(1 << 16));
        return a;
    }

    /** Standard normal values rounded to bfloat16. */
    public static BF16Array bf16Gaussians(Random r, int n) {
        BF16Array a = BF16Array.allocate(n);
        for (int i = 0; i < n; i++) a.setFloat(i, (float) r.nextGaussian());
        return a;
    }

    /**
     * Half patterns; NaNs are quiet ones, since Java itself converts signalling half NaNs
     * differently when interpreted and when JIT-compiled to F16C instructions.
     */
    public static F16Array f16Bits(Random r, int n) {
        F16Array a = F16Array.allocate(n);
        for (int i = 0; i < n; i++) a.set(i, quietHalf((short) r.nextInt(1 << 16)));
        return a;
    }

    static short quietHalf(short h) {
        return (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0 ? (short) (h | 0x200) : h;
    }

    /** NaNs made quiet and without payload bits below half precision (see {@link #f16Bits}). */
    static float quietFloat(float f) {
        return Float.isNaN(f) ? Float.intBitsToFloat(Float.floatToRawIntBits(f) & ~0x1fff | 0x400000) : f;
    }

    /** Floats whose bit patterns are uniformly random (all exponents, NaN payloads). */
    public static F32Array floatBits(Random r, int n) {
        F32Array a = F32Array.allocate(n);
        for (int i = 0; i < n; i++) a.set(i, Float.intBitsToFloat(r.nextInt()));
        return a;
    }

    public static F32Array zerosF32(int n) { return F32Array.allocate(n); }
    public static I32Array zerosI32(int n) { return I32Array.allocate(n); }
    public static I64Array zerosI64(int n) { return I64Array.allocate(n); }
}
