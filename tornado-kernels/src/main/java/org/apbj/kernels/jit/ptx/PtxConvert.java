package org.apbj.kernels.jit.ptx;

import org.apbj.kernels.jit.ir.Instr.ConvOp;
import org.apbj.kernels.jit.ir.Operand;
import org.apbj.kernels.jit.ir.Type;

/**
 * Conversions with Java's semantics. Float to integer uses cvt.rzi, which saturates as Java
 * does; NaN gives 0 by an explicit test (the H100 returns MIN_VALUE for NaN). bf16/half conversions use cvt.rn and then patch NaN results to the
 * exact bits Java produces (hardware returns a canonical NaN).
 */
final class PtxConvert {
    private PtxConvert() {}

    static void convert(PtxEmitter e, ConvOp op, String d, Type dt, Operand src) {
        String a = e.reg(src);
        switch (op) {
            case I2L -> e.line("cvt.s64.s32 %s, %s;", d, a);
            case I2F -> e.line("cvt.rn.f32.s32 %s, %s;", d, a);
            case I2D -> e.line("cvt.rn.f64.s32 %s, %s;", d, a);
            case L2I -> e.line("cvt.u32.u64 %s, %s;", d, a);
            case L2F -> e.line("cvt.rn.f32.s64 %s, %s;", d, a);
            case L2D -> e.line("cvt.rn.f64.s64 %s, %s;", d, a);
            case F2I -> floatToInteger(e, "s32", "f32", d, a);
            case F2L -> floatToInteger(e, "s64", "f32", d, a);
            case F2D -> e.line("cvt.f64.f32 %s, %s;", d, a);
            case D2I -> floatToInteger(e, "s32", "f64", d, a);
            case D2L -> floatToInteger(e, "s64", "f64", d, a);
            case D2F -> e.line("cvt.rn.f32.f64 %s, %s;", d, a);
            case I2B -> e.line("cvt.s32.s8 %s, %s;", d, a);
            case I2S -> e.line("cvt.s32.s16 %s, %s;", d, a);
            case I2C -> e.line("cvt.u32.u16 %s, %s;", d, a);
            case F_BITS, BITS_F -> e.line("mov.%s %s, %s;", PtxEmitter.bits(dt), d, a);
            case BF16_TO_F32 -> {
                String t = e.b32();
                e.line("shl.b32 %s, %s, 16;", t, a);
                e.line("mov.b32 %s, %s;", d, t);
            }
            case F32_TO_BF16 -> {
                // KernelMath.floatToBf16: round to nearest even; NaN -> (bits >>> 16) | 0x40.
                String h = e.b16(), r = e.b32(), nan = e.pred(), q = e.b32();
                e.line("cvt.rn.bf16.f32 %s, %s;", h, a);
                e.line("cvt.s32.s16 %s, %s;", r, h);
                e.line("mov.b32 %s, %s;", q, a);
                e.line("shr.u32 %s, %s, 16;", q, q);
                e.line("or.b32 %s, %s, 64;", q, q);
                e.line("cvt.s32.s16 %s, %s;", q, q);
                e.line("setp.nan.f32 %s, %s, %s;", nan, a, a);
                e.line("selp.b32 %s, %s, %s, %s;", d, q, r, nan);
            }
            case F16_TO_F32 -> {
                // Float.float16ToFloat; NaN keeps sign and payload, quietened: (s << 16) | 0x7fc00000 | (sig << 13).
                String h = e.b16(), f = e.b32(), mag = e.b32(), nan = e.pred(), s = e.b32(), sig = e.b32();
                e.line("cvt.u16.u32 %s, %s;", h, a);
                e.line("cvt.f32.f16 %s, %s;", f, h);
                e.line("and.b32 %s, %s, 32767;", mag, a);
                e.line("setp.gt.u32 %s, %s, 31744;", nan, mag);
                e.line("and.b32 %s, %s, 32768;", s, a);
                e.line("shl.b32 %s, %s, 16;", s, s);
                e.line("and.b32 %s, %s, 1023;", sig, a);
                e.line("shl.b32 %s, %s, 13;", sig, sig);
                e.line("or.b32 %s, %s, %s;", s, s, sig);
                e.line("or.b32 %s, %s, 2143289344;", s, s);   // 0x7fc00000: exponent and quiet bit
                e.line("selp.b32 %s, %s, %s, %s;", d, s, f, nan);
            }
            case F32_TO_F16 -> {
                // Float.floatToFloat16 as compiled by Java's JIT (F16C): NaN -> sign | 0x7e00 | top 10 payload bits.
                String h = e.b16(), r = e.b32(), nan = e.pred(), b = e.b32(), q = e.b32(), t = e.b32();
                e.line("cvt.rn.f16.f32 %s, %s;", h, a);
                e.line("cvt.s32.s16 %s, %s;", r, h);
                e.line("mov.b32 %s, %s;", b, a);
                e.line("shr.u32 %s, %s, 16;", q, b);
                e.line("and.b32 %s, %s, 32768;", q, q);
                e.line("or.b32 %s, %s, 32256;", q, q);   // 0x7e00: exponent and quiet bit
                e.line("shr.u32 %s, %s, 13;", t, b);
                e.line("and.b32 %s, %s, 1023;", t, t);
                e.line("or.b32 %s, %s, %s;", q, q, t);
                e.line("cvt.s32.s16 %s, %s;", q, q);
                e.line("setp.nan.f32 %s, %s, %s;", nan, a, a);
                e.line("selp.b32 %s, %s, %s, %s;", d, q, r, nan);
            }
        }
    }

    /** Java's (int) / (long) of a float or double: truncation with saturation, NaN to 0. */
    private static void floatToInteger(PtxEmitter e, String to, String from, String d, String a) {
        String raw = to.equals("s64") ? e.b64() : e.b32(), nan = e.pred();
        e.line("cvt.rzi.%s.%s %s, %s;", to, from, raw, a);
        e.line("setp.nan.%s %s, %s, %s;", from, nan, a, a);
        e.line("selp.%s %s, 0, %s, %s;", to, d, raw, nan);
    }
}
