package org.apbj.weights;

/** Conversions between float and the 16-bit float formats stored in safetensors files. */
public final class Floats {
    private Floats() {}

    /** bf16 bits (the upper half of an IEEE float) to float; exact. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** float to bf16 bits, rounding to nearest even (as torch does); NaN stays a quiet NaN. */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int roundingBias = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    /** IEEE half bits to float; exact. */
    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** float to IEEE half bits, rounding to nearest even. */
    public static short floatToF16(float value) {
        return Float.floatToFloat16(value);
    }
}
