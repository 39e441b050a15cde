package org.apbj.kernels.jit.front;

import org.apbj.kernels.jit.ir.Imm;
import org.apbj.kernels.jit.ir.Instr.BinOp;
import org.apbj.kernels.jit.ir.Instr.CmpOp;
import org.apbj.kernels.jit.ir.Instr.ConvOp;
import org.apbj.kernels.jit.ir.Instr.UnOp;
import org.apbj.kernels.jit.ir.Type;

/**
 * Evaluates IR operations on constants with exactly Java's semantics, so that folding never
 * changes a result. Returns null where it declines (division by zero, transcendental math
 * whose device result may differ from Java's in the last bit).
 */
final class ConstantFolder {
    private ConstantFolder() {}

    static Imm binary(BinOp op, Type t, Imm a, Imm b) {
        switch (t) {
            case I32 -> {
                int x = a.intValue(), y = b.intValue();
                Integer r = switch (op) {
                    case ADD -> x + y; case SUB -> x - y; case MUL -> x * y;
                    case DIV -> y == 0 ? null : x / y;
                    case REM -> y == 0 ? null : x % y;
                    case AND -> x & y; case OR -> x | y; case XOR -> x ^ y;
                    case SHL -> x << y; case SHR -> x >> y; case USHR -> x >>> y;
                    case MIN -> Math.min(x, y); case MAX -> Math.max(x, y);
                    case POW, MAX_NUM -> null;
                };
                return r == null ? null : Imm.ofInt(r);
            }
            case I64 -> {
                long x = a.longValue();
                long y = b.type() == Type.I32 ? b.intValue() : b.longValue();   // shift counts are ints
                Long r = switch (op) {
                    case ADD -> x + y; case SUB -> x - y; case MUL -> x * y;
                    case DIV -> y == 0 ? null : x / y;
                    case REM -> y == 0 ? null : x % y;
                    case AND -> x & y; case OR -> x | y; case XOR -> x ^ y;
                    case SHL -> x << y; case SHR -> x >> y; case USHR -> x >>> y;
                    case MIN -> Math.min(x, y); case MAX -> Math.max(x, y);
                    case POW, MAX_NUM -> null;
                };
                return r == null ? null : Imm.ofLong(r);
            }
            case F32 -> {
                float x = a.floatValue(), y = b.floatValue();
                Float r = switch (op) {
                    case ADD -> x + y; case SUB -> x - y; case MUL -> x * y; case DIV -> x / y;
                    case REM -> x % y; case MIN -> Math.min(x, y); case MAX -> Math.max(x, y);
                    case MAX_NUM -> org.apbj.kernels.api.KernelMath.maxNum(x, y);
                    default -> null;
                };
                return r == null ? null : Imm.ofFloat(r);
            }
            case F64 -> {
                double x = a.doubleValue(), y = b.doubleValue();
                Double r = switch (op) {
                    case ADD -> x + y; case SUB -> x - y; case MUL -> x * y; case DIV -> x / y;
                    case REM -> x % y; case MIN -> Math.min(x, y); case MAX -> Math.max(x, y);
                    default -> null;
                };
                return r == null ? null : Imm.ofDouble(r);
            }
            default -> { return null; }
        }
    }

    static Imm unary(UnOp op, Type t, Imm a) {
        return switch (t) {
            case I32 -> switch (op) {
                case NEG -> Imm.ofInt(-a.intValue());
                case ABS -> Imm.ofInt(Math.abs(a.intValue()));
                default -> null;
            };
            case I64 -> switch (op) {
                case NEG -> Imm.ofLong(-a.longValue());
                case ABS -> Imm.ofLong(Math.abs(a.longValue()));
                default -> null;
            };
            case F32 -> switch (op) {
                case NEG -> Imm.ofFloat(-a.floatValue());
                case ABS -> Imm.ofFloat(Math.abs(a.floatValue()));
                case SQRT -> Imm.ofFloat((float) Math.sqrt(a.floatValue()));
                case FLOOR -> Imm.ofFloat((float) Math.floor(a.floatValue()));
                case CEIL -> Imm.ofFloat((float) Math.ceil(a.floatValue()));
                default -> null;
            };
            case F64 -> switch (op) {
                case NEG -> Imm.ofDouble(-a.doubleValue());
                case ABS -> Imm.ofDouble(Math.abs(a.doubleValue()));
                case SQRT -> Imm.ofDouble(Math.sqrt(a.doubleValue()));
                case FLOOR -> Imm.ofDouble(Math.floor(a.doubleValue()));
                case CEIL -> Imm.ofDouble(Math.ceil(a.doubleValue()));
                default -> null;
            };
            default -> null;
        };
    }

    static Imm convert(ConvOp op, Imm a) {
        return switch (op) {
            case I2L -> Imm.ofLong(a.intValue());
            case I2F -> Imm.ofFloat((float) a.intValue());
            case I2D -> Imm.ofDouble(a.intValue());
            case L2I -> Imm.ofInt((int) a.longValue());
            case L2F -> Imm.ofFloat((float) a.longValue());
            case L2D -> Imm.ofDouble((double) a.longValue());
            case F2I -> Imm.ofInt((int) a.floatValue());
            case F2L -> Imm.ofLong((long) a.floatValue());
            case F2D -> Imm.ofDouble(a.floatValue());
            case D2I -> Imm.ofInt((int) a.doubleValue());
            case D2L -> Imm.ofLong((long) a.doubleValue());
            case D2F -> Imm.ofFloat((float) a.doubleValue());
            case I2B -> Imm.ofInt((byte) a.intValue());
            case I2S -> Imm.ofInt((short) a.intValue());
            case I2C -> Imm.ofInt((char) a.intValue());
            case F_BITS -> a.type() == Type.F32 ? Imm.ofInt(Float.floatToRawIntBits(a.floatValue()))
                    : Imm.ofLong(Double.doubleToRawLongBits(a.doubleValue()));
            case BITS_F -> a.type() == Type.I32 ? Imm.ofFloat(Float.intBitsToFloat(a.intValue()))
                    : Imm.ofDouble(Double.longBitsToDouble(a.longValue()));
            case BF16_TO_F32 -> Imm.ofFloat(Float.intBitsToFloat((a.intValue() & 0xffff) << 16));
            case F32_TO_BF16 -> Imm.ofInt(org.apbj.kernels.api.KernelMath.floatToBf16(a.floatValue()));
            case F16_TO_F32 -> Imm.ofFloat(Float.float16ToFloat((short) a.intValue()));
            case F32_TO_F16 -> Imm.ofInt(Float.floatToFloat16(a.floatValue()));
        };
    }

    /** Java's comparison result; for floats {@code unordered} decides NaN operands. */
    static boolean compare(CmpOp op, boolean unordered, Imm a, Imm b) {
        if (a.type().isFloating()) {
            double x = a.type() == Type.F32 ? a.floatValue() : a.doubleValue();
            double y = b.type() == Type.F32 ? b.floatValue() : b.doubleValue();
            if (Double.isNaN(x) || Double.isNaN(y)) return unordered;
            return test(op, Double.compare(x == 0 ? 0.0 : x, y == 0 ? 0.0 : y));
        }
        return test(op, Long.compare(a.longValue(), b.longValue()));
    }

    private static boolean test(CmpOp op, int c) {
        return switch (op) {
            case EQ -> c == 0; case NE -> c != 0; case LT -> c < 0;
            case LE -> c <= 0; case GT -> c > 0; case GE -> c >= 0;
        };
    }
}
