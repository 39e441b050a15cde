package org.apbj.kernels.api;

/**
 * Math for kernels, in the spirit of TornadoVM's TornadoMath. The Java bodies define the
 * semantics (and are what the Java device runs); the compiler maps each method to the
 * device's instruction (PTX ex2.approx/lg2.approx with scaling, cvt.rn.bf16.f32, fma.rn, ...).
 * {@code java.lang.Math} calls with the same names are accepted by the compiler too.
 */
@IntrinsicClass
public final class KernelMath {
    private KernelMath() {}

    public static float exp(float x) { return (float) Math.exp(x); }
    /**
     * 2^x to about 2 ulp (relative error below 2^-21): one special-function instruction on the GPU
     * (ex2.approx.ftz, subnormal results flush to zero). For softmax weights that are rounded to
     * bf16 afterwards, where the accurate {@link #exp} costs fifteen instructions more.
     */
    public static float exp2Approx(float x) {
        float r = (float) Math.pow(2.0, x);
        return Math.abs(r) < Float.MIN_NORMAL ? 0.0f : r;
    }

    public static float log(float x) { return (float) Math.log(x); }
    public static float sqrt(float x) { return (float) Math.sqrt(x); }
    public static float rsqrt(float x) { return (float) (1.0 / Math.sqrt(x)); }
    public static float tanh(float x) { return (float) Math.tanh(x); }
    public static float pow(float x, float y) { return (float) Math.pow(x, y); }
    public static float abs(float x) { return Math.abs(x); }
    public static int abs(int x) { return Math.abs(x); }
    public static float min(float a, float b) { return Math.min(a, b); }
    public static float max(float a, float b) { return Math.max(a, b); }
    /**
     * The larger of a and b as IEEE maxNum: a NaN operand yields the other one, and for +0.0
     * against -0.0 the device may return either. One instruction on the GPU (PTX max.f32),
     * where {@link #max} spends four on Java's NaN and signed-zero rules; for running maxima
     * (softmax) that meet neither.
     */
    public static float maxNum(float a, float b) {
        if (Float.isNaN(a)) return b;
        if (Float.isNaN(b)) return a;
        return Math.max(a, b);
    }
    public static int min(int a, int b) { return Math.min(a, b); }
    public static int max(int a, int b) { return Math.max(a, b); }
    public static float floor(float x) { return (float) Math.floor(x); }
    public static float ceil(float x) { return (float) Math.ceil(x); }
    public static float fma(float a, float b, float c) { return Math.fma(a, b, c); }
    /** x / (1 + e^-x), the SiLU used by SwiGLU and the retaining heads. */
    public static float silu(float x) { return x / (1.0f + exp(-x)); }

    /** bfloat16 bits to float: exact. */
    public static float bf16ToFloat(short bits) { return Float.intBitsToFloat((bits & 0xffff) << 16); }

    /** float to bfloat16 bits, round to nearest even; NaN stays NaN. */
    public static short floatToBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if ((bits & 0x7fffffff) > 0x7f800000) return (short) ((bits >>> 16) | 0x40);
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }

    /** IEEE half bits to float: exact. */
    public static float halfToFloat(short bits) { return Float.float16ToFloat(bits); }

    /** float to IEEE half bits, round to nearest even. */
    public static short floatToHalf(float v) { return Float.floatToFloat16(v); }
}
