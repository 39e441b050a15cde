package org.apbj.kernels.corpus;

import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.I64Array;
import org.apbj.kernels.api.KernelContext;

/** Corpus: integer, long, float and double arithmetic with Java's exact semantics. */
public final class ArithmeticKernels {
    private ArithmeticKernels() {}

    public static void vectorAdd(KernelContext ctx, F32Array out, F32Array a, F32Array b) {
        int i = ctx.globalIdx;
        out.set(i, a.get(i) + b.get(i));
    }

    public static void saxpy(KernelContext ctx, F32Array y, F32Array x, float alpha, int n) {
        int i = ctx.globalIdx;
        if (i < n) y.set(i, alpha * x.get(i) + y.get(i));
    }

    /** Wrap-around on overflow, negation of MIN_VALUE, mixed operators. */
    public static void intOverflow(KernelContext ctx, I32Array out, I32Array a, I32Array b) {
        int i = ctx.globalIdx;
        int x = a.get(i), y = b.get(i);
        out.set(4 * i, x + y);
        out.set(4 * i + 1, x * y - y);
        out.set(4 * i + 2, -x);
        out.set(4 * i + 3, (x ^ y) & (x | ~y));
    }

    public static void longArithmetic(KernelContext ctx, I64Array out, I64Array a, I64Array b, I32Array c) {
        int i = ctx.globalIdx;
        long x = a.get(i), y = b.get(i);
        int k = c.get(i);
        out.set(4 * i, x * y + k);
        out.set(4 * i + 1, (x - y) ^ (x & 0xff00ff00ff00ffL));
        out.set(4 * i + 2, -x | (long) k << 3);
        out.set(4 * i + 3, x + Integer.MAX_VALUE + 1);
    }

    /** Truncating division and remainder, negative operands, MIN_VALUE / -1 (divisors are never 0). */
    public static void intDivision(KernelContext ctx, I32Array out, I32Array a, I32Array b) {
        int i = ctx.globalIdx;
        int x = a.get(i), y = b.get(i);
        out.set(3 * i, x / y);
        out.set(3 * i + 1, x % y);
        out.set(3 * i + 2, x / 7 + x % -3);
    }

    public static void longDivision(KernelContext ctx, I64Array out, I64Array a, I64Array b) {
        int i = ctx.globalIdx;
        long x = a.get(i), y = b.get(i);
        out.set(2 * i, x / y);
        out.set(2 * i + 1, x % y);
    }

    /** Shift counts are masked to 5 bits (int) and 6 bits (long), including negative counts. */
    public static void shifts(KernelContext ctx, I32Array out, I64Array longOut, I32Array a, I32Array counts) {
        int i = ctx.globalIdx;
        int x = a.get(i), s = counts.get(i);
        out.set(3 * i, x << s);
        out.set(3 * i + 1, x >> s);
        out.set(3 * i + 2, x >>> s);
        long w = ((long) x << 32) | (x & 0xffffffffL);
        longOut.set(3 * i, w << s);
        longOut.set(3 * i + 1, w >> s);
        longOut.set(3 * i + 2, w >>> (s + 40));
    }

    /** IEEE arithmetic on NaN, infinities, signed zeros and subnormals: bit-exact. */
    public static void floatArithmetic(KernelContext ctx, F32Array out, F32Array a, F32Array b) {
        int i = ctx.globalIdx;
        float x = a.get(i), y = b.get(i);
        out.set(5 * i, x + y);
        out.set(5 * i + 1, x - y);
        out.set(5 * i + 2, x * y);
        out.set(5 * i + 3, x / y);
        out.set(5 * i + 4, -x * 0.0f);
    }

    /** Float remainder (fmod semantics): moderate and huge quotients, infinities and zeros. */
    public static void floatRemainder(KernelContext ctx, F32Array out, F32Array a, F32Array b) {
        int i = ctx.globalIdx;
        out.set(i, a.get(i) % b.get(i));
    }

    /**
     * Float and double remainders on uniformly random bit patterns: quotients up to 2^277
     * (float) and 2^2100 (double), subnormals, infinities and NaNs. NaN results are compared
     * as one value (their payloads differ between devices).
     */
    public static void remainderBits(KernelContext ctx, F32Array out, I64Array wide, F32Array a, F32Array b,
                                     I64Array da, I64Array db) {
        int i = ctx.globalIdx;
        out.set(i, a.get(i) % b.get(i));
        double r = Double.longBitsToDouble(da.get(i)) % Double.longBitsToDouble(db.get(i));
        wide.set(i, r != r ? -1L : Double.doubleToRawLongBits(r));
    }

    /** Comparisons with NaN (fcmpl/fcmpg) turned into 0/1 flags, one bit per operator. */
    public static void floatCompare(KernelContext ctx, I32Array out, F32Array a, F32Array b) {
        int i = ctx.globalIdx;
        float x = a.get(i), y = b.get(i);
        int flags = 0;
        if (x < y) flags |= 1;
        if (x <= y) flags |= 2;
        if (x > y) flags |= 4;
        if (x >= y) flags |= 8;
        if (x == y) flags |= 16;
        if (x != y) flags |= 32;
        if (!(x < y)) flags |= 64;
        if (!(x >= y)) flags |= 128;
        out.set(i, flags);
    }

    public static void doubleArithmetic(KernelContext ctx, I64Array out, F32Array a, F32Array b) {
        int i = ctx.globalIdx;
        double x = a.get(i), y = b.get(i);
        double r = x * 1.0000001 + y / 3.0 - Math.sqrt(Math.abs(x));
        double m = Math.max(x, y) - Math.min(x, y);
        out.set(2 * i, Double.doubleToRawLongBits(r));
        out.set(2 * i + 1, Double.doubleToRawLongBits(Math.fma(x, y, m) + (x < y ? Math.floor(r) : Math.ceil(r))));
    }

    /** Long and double comparisons (lcmp, dcmpl/dcmpg) in conditions and as values. */
    public static void wideCompare(KernelContext ctx, I32Array out, I64Array a, I64Array b, F32Array f) {
        int i = ctx.globalIdx;
        long x = a.get(i), y = b.get(i);
        double d = f.get(i);
        int r = 0;
        if (x < y) r += 1;
        if (x == y) r += 2;
        if (x >= y) r += 4;
        if (d > 0.5) r += 8;
        if (d <= -0.5) r += 16;
        r += 32 * (x < y ? -1 : x == y ? 0 : 1);
        out.set(i, r);
    }
}
