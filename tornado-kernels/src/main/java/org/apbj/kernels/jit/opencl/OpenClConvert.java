package org.apbj.kernels.jit.opencl;

import org.apbj.kernels.jit.ir.Instr.ConvOp;
import org.apbj.kernels.jit.ir.Operand;
import org.apbj.kernels.jit.ir.Type;

/** Conversions as OpenCL C expressions with Java's results (saturation, NaN to 0, bit-exact 16-bit floats). */
final class OpenClConvert {
    private OpenClConvert() {}

    static String expression(ConvOp op, Type to, Operand src) {
        String a = OpenClEmitter.op(src);
        return switch (op) {
            case I2L -> "(long) " + a;
            case I2F, L2F, D2F -> "(float) " + a;
            case I2D, L2D, F2D -> "(double) " + a;
            case L2I -> "(int) " + a;
            case F2I -> "apbj_f2i(" + a + ")";
            case F2L -> "apbj_f2l(" + a + ")";
            case D2I -> "apbj_d2i(" + a + ")";
            case D2L -> "apbj_d2l(" + a + ")";
            case I2B -> "as_int(as_uint(" + a + ") << 24) >> 24";
            case I2S -> "as_int(as_uint(" + a + ") << 16) >> 16";
            case I2C -> a + " & 0xffff";
            case F_BITS -> (to == Type.I64 ? "as_long(" : "as_int(") + a + ")";
            case BITS_F -> (to == Type.F64 ? "as_double(" : "as_float(") + a + ")";
            case BF16_TO_F32 -> "as_float(as_uint(" + a + ") << 16)";
            case F32_TO_BF16 -> "apbj_float_to_bf16(" + a + ")";
            case F16_TO_F32 -> "apbj_half_to_float(" + a + ")";
            case F32_TO_F16 -> "apbj_float_to_half(" + a + ")";
        };
    }
}
