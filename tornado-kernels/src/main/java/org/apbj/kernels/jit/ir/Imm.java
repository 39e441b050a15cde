package org.apbj.kernels.jit.ir;

/**
 * An immediate: ints and longs as their (sign-extended) value, floats and doubles as their raw
 * IEEE bits, so that NaN payloads and -0.0 survive.
 */
public record Imm(Type type, long bits) implements Operand {

    public static Imm ofInt(int v) { return new Imm(Type.I32, v); }
    public static Imm ofLong(long v) { return new Imm(Type.I64, v); }
    public static Imm ofFloat(float v) { return new Imm(Type.F32, Float.floatToRawIntBits(v) & 0xffffffffL); }
    public static Imm ofDouble(double v) { return new Imm(Type.F64, Double.doubleToRawLongBits(v)); }

    /** Zero of any non-predicate type. */
    public static Imm zero(Type t) { return new Imm(t, 0); }

    public int intValue() { return (int) bits; }
    public long longValue() { return bits; }
    public float floatValue() { return Float.intBitsToFloat((int) bits); }
    public double doubleValue() { return Double.longBitsToDouble(bits); }

    @Override
    public String toString() {
        return switch (type) {
            case I32 -> Integer.toString(intValue());
            case I64 -> Long.toString(bits) + "L";
            case F32 -> floatValue() + "f";
            case F64 -> Double.toString(doubleValue());
            case PRED -> bits != 0 ? "true" : "false";
        };
    }
}
