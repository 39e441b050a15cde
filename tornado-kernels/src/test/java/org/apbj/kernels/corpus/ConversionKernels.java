package org.apbj.kernels.corpus;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.I64Array;
import org.apbj.kernels.api.I8Array;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.KernelMath;

/** Corpus: casts and bit conversions, including saturation, NaN and 16-bit float formats. */
public final class ConversionKernels {
    private ConversionKernels() {}

    /** f2i and f2l saturate and map NaN to 0; d2i likewise. */
    public static void floatToInt(KernelContext ctx, I32Array ints, I64Array longs, F32Array a) {
        int i = ctx.globalIdx;
        float x = a.get(i);
        ints.set(2 * i, (int) x);
        ints.set(2 * i + 1, (int) ((double) x * 3.0));
        longs.set(i, (long) x);
    }

    public static void intToFloat(KernelContext ctx, F32Array out, I32Array a, I64Array b) {
        int i = ctx.globalIdx;
        out.set(3 * i, (float) a.get(i));
        out.set(3 * i + 1, (float) b.get(i));
        out.set(3 * i + 2, (float) (double) b.get(i));
    }

    /** Narrowing int casts: byte, short, char; and long to int. */
    public static void narrowing(KernelContext ctx, I32Array out, I32Array a, I64Array b) {
        int i = ctx.globalIdx;
        int x = a.get(i);
        out.set(4 * i, (byte) x);
        out.set(4 * i + 1, (short) x);
        out.set(4 * i + 2, (char) x);
        out.set(4 * i + 3, (int) b.get(i));
    }

    public static void floatBits(KernelContext ctx, I32Array bits, F32Array back, F32Array a) {
        int i = ctx.globalIdx;
        float x = a.get(i);
        bits.set(2 * i, Float.floatToRawIntBits(x));
        bits.set(2 * i + 1, Float.floatToIntBits(x));
        back.set(i, Float.intBitsToFloat(Float.floatToRawIntBits(x) ^ 0x80000000));
    }

    /** bf16 to float (exact) and float to bf16 (nearest even, NaN quietened) through the array accessors. */
    public static void bf16RoundTrip(KernelContext ctx, F32Array widened, BF16Array narrowed, BF16Array in, F32Array f) {
        int i = ctx.globalIdx;
        widened.set(i, in.getFloat(i));
        narrowed.setFloat(i, f.get(i));
    }

    /** IEEE half conversions (Float.float16ToFloat / floatToFloat16) and the KernelMath names. */
    public static void f16RoundTrip(KernelContext ctx, F32Array widened, F16Array narrowed, I32Array viaMath, F16Array in, F32Array f) {
        int i = ctx.globalIdx;
        widened.set(i, in.getFloat(i));
        narrowed.setFloat(i, f.get(i));
        float x = f.get(i);
        // Only numbers are scaled: arithmetic on a NaN gives the canonical NaN on GPUs but keeps
        // the payload on x86 (Java leaves it open), and floatToHalf keeps payload bits.
        viaMath.set(2 * i, KernelMath.floatToHalf(x != x ? x : x * 0.001f));
        viaMath.set(2 * i + 1, Float.floatToRawIntBits(Float.float16ToFloat(in.get(i))));
    }

    /** Bytes are sign-extended on load and truncated on store. */
    public static void byteArrays(KernelContext ctx, I8Array out, I32Array sums, I8Array a) {
        int i = ctx.globalIdx;
        byte v = a.get(i);
        sums.set(i, v * 3 + (v & 0xff));
        out.set(i, (byte) (v * 5));
    }
}
