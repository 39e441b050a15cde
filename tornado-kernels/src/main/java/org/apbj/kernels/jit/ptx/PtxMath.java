package org.apbj.kernels.jit.ptx;

import org.apbj.kernels.jit.ir.Imm;
import org.apbj.kernels.jit.ir.Instr.UnOp;
import org.apbj.kernels.jit.ir.Operand;
import org.apbj.kernels.jit.ir.Type;

/**
 * PTX sequences for math whose hardware instruction does not have Java's accuracy or
 * special cases: exp, log, tanh and pow in float (a few ulp, with Java's NaN/infinity/zero
 * rules), rsqrt (exactly Java's (float) (1 / Math.sqrt(x))), min/max (NaN and signed zeros),
 * and the exact float/double remainder.
 */
final class PtxMath {
    private PtxMath() {}

    private static final String LOG2E = "0f3FB8AA3B";        // log2(e) rounded to float
    private static final String LOG2E_LO = "0f32A57060";     // log2(e) - LOG2E
    private static final String LN2_HI = "0f3F317200";       // ln 2, leading bits (e * LN2_HI is exact)
    private static final String LN2_LO = "0f35BFBE8E";       // ln 2 - LN2_HI
    private static final String NAN = "0f7FC00000";
    private static final String INF = "0f7F800000";

    static void unary(PtxEmitter e, UnOp op, String d, Type t, Operand a) {
        String ty = PtxEmitter.arith(t);
        switch (op) {
            case NEG -> e.line("neg.%s %s, %s;", ty, d, e.reg(a));
            case ABS -> e.line("abs.%s %s, %s;", ty, d, e.reg(a));
            case SQRT -> e.line("sqrt.rn.%s %s, %s;", ty, d, e.reg(a));
            case FLOOR -> e.line("cvt.rmi.%s.%s %s, %s;", ty, ty, d, e.reg(a));
            case CEIL -> e.line("cvt.rpi.%s.%s %s, %s;", ty, ty, d, e.reg(a));
            case RSQRT -> {
                String w = e.b64();
                e.line("cvt.f64.f32 %s, %s;", w, e.reg(a));
                e.line("sqrt.rn.f64 %s, %s;", w, w);
                e.line("rcp.rn.f64 %s, %s;", w, w);
                e.line("cvt.rn.f32.f64 %s, %s;", d, w);
            }
            case EXP -> exp(e, d, e.reg(a));
            case EXP2_APPROX -> e.line("ex2.approx.ftz.f32 %s, %s;", d, e.reg(a));
            case LOG -> log(e, d, e.reg(a));
            case TANH -> tanh(e, d, e.reg(a));
        }
    }

    /**
     * exp(x) = 2^r * 2^j1 * 2^j2 with j = rint(x log2 e), r = x log2 e - j computed with a
     * two-part log2 e, and 2^j split in two exactly built powers so that neither overflows
     * before the product does. x is clamped to [-160, 128] first (NaN kept), where exp is 0 or
     * infinity anyway.
     */
    static void exp(PtxEmitter e, String d, String x) {
        String xc = e.b32(), t = e.b32(), jf = e.b32(), r = e.b32(), p = e.b32(), j = e.b32(), j1 = e.b32(), j2 = e.b32();
        e.line("min.NaN.f32 %s, %s, 0f43000000;", xc, x);
        e.line("max.NaN.f32 %s, %s, 0fC3200000;", xc, xc);
        e.line("mul.rn.f32 %s, %s, %s;", t, xc, LOG2E);
        e.line("cvt.rni.f32.f32 %s, %s;", jf, t);
        e.line("neg.f32 %s, %s;", r, jf);
        e.line("fma.rn.f32 %s, %s, %s, %s;", r, xc, LOG2E, r);
        e.line("fma.rn.f32 %s, %s, %s, %s;", r, xc, LOG2E_LO, r);
        e.line("ex2.approx.f32 %s, %s;", p, r);
        e.line("cvt.rzi.s32.f32 %s, %s;", j, jf);
        e.line("shr.s32 %s, %s, 1;", j1, j);
        e.line("sub.s32 %s, %s, %s;", j2, j, j1);
        e.line("add.s32 %s, %s, 127;", j1, j1);
        e.line("shl.b32 %s, %s, 23;", j1, j1);
        e.line("add.s32 %s, %s, 127;", j2, j2);
        e.line("shl.b32 %s, %s, 23;", j2, j2);
        e.line("mul.rn.f32 %s, %s, %s;", p, p, j1);
        e.line("mul.rn.f32 %s, %s, %s;", d, p, j2);
    }

    /**
     * log(x) = k ln 2 + 2 atanh(s), s = (m - 1) / (m + 1), x = m 2^k with m in [0.707, 1.414)
     * (subnormal x scaled by 2^23 first); the atanh series to s^9 is below half an ulp there.
     */
    static void log(PtxEmitter e, String d, String x) {
        String sub = e.pred(), xs = e.b32(), adj = e.b32(), bits = e.b32(), k = e.b32(), m = e.b32(), big = e.pred();
        String num = e.b32(), den = e.b32(), s = e.b32(), z = e.b32(), poly = e.b32(), kf = e.b32(), res = e.b32();
        String bad = e.pred(), zero = e.pred(), inf = e.pred();
        e.line("setp.lt.f32 %s, %s, 0f00800000;", sub, x);
        e.line("mul.rn.f32 %s, %s, 0f4B000000;", xs, x);
        e.line("selp.f32 %s, %s, %s, %s;", xs, xs, x, sub);
        e.line("selp.s32 %s, -23, 0, %s;", adj, sub);
        e.line("mov.b32 %s, %s;", bits, xs);
        e.line("shr.u32 %s, %s, 23;", k, bits);
        e.line("sub.s32 %s, %s, 127;", k, k);
        e.line("add.s32 %s, %s, %s;", k, k, adj);
        e.line("and.b32 %s, %s, 8388607;", m, bits);
        e.line("or.b32 %s, %s, 1065353216;", m, m);
        e.line("setp.gt.f32 %s, %s, 0f3FB504F3;", big, m);
        e.line("@%s mul.rn.f32 %s, %s, 0f3F000000;", big, m, m);
        e.line("@%s add.s32 %s, %s, 1;", big, k, k);
        e.line("sub.rn.f32 %s, %s, 0f3F800000;", num, m);
        e.line("add.rn.f32 %s, %s, 0f3F800000;", den, m);
        e.line("div.rn.f32 %s, %s, %s;", s, num, den);
        e.line("mul.rn.f32 %s, %s, %s;", z, s, s);
        e.line("fma.rn.f32 %s, %s, 0f3DE38E39, 0f3E124925;", poly, z);   // 1/9, 1/7
        e.line("fma.rn.f32 %s, %s, %s, 0f3E4CCCCD;", poly, poly, z);     // 1/5
        e.line("fma.rn.f32 %s, %s, %s, 0f3EAAAAAB;", poly, poly, z);     // 1/3
        e.line("mul.rn.f32 %s, %s, %s;", poly, poly, z);
        e.line("add.rn.f32 %s, %s, %s;", res, s, s);
        e.line("fma.rn.f32 %s, %s, %s, %s;", res, res, poly, res);      // 2s + 2s z (1/3 + ...)
        e.line("cvt.rn.f32.s32 %s, %s;", kf, k);
        e.line("fma.rn.f32 %s, %s, %s, %s;", res, kf, LN2_LO, res);
        e.line("fma.rn.f32 %s, %s, %s, %s;", res, kf, LN2_HI, res);
        e.line("setp.ltu.f32 %s, %s, 0f00000000;", bad, x);            // x < 0 or NaN
        e.line("setp.eq.f32 %s, %s, 0f00000000;", zero, x);
        e.line("setp.eq.f32 %s, %s, %s;", inf, x, INF);
        e.line("selp.f32 %s, %s, %s, %s;", res, INF, res, inf);
        e.line("selp.f32 %s, 0fFF800000, %s, %s;", res, res, zero);
        e.line("selp.f32 %s, %s, %s, %s;", d, NAN, res, bad);
    }

    /** tanh: odd Taylor polynomial for |x| < 0.55, else sign(x) (1 - 2 / (exp(2|x|) + 1)). */
    static void tanh(PtxEmitter e, String d, String x) {
        String ax = e.b32(), small = e.pred(), z = e.b32(), poly = e.b32(), ps = e.b32(), ex = e.b32(), two = e.b32(), big = e.b32();
        e.line("abs.f32 %s, %s;", ax, x);
        e.line("setp.lt.f32 %s, %s, 0f3F0CCCCD;", small, ax);
        e.line("mul.rn.f32 %s, %s, %s;", z, x, x);
        String[] c = {"0f3A1AAC12", "0fBABED1B2", "0f3B6B69E8", "0fBC11371B", "0f3CB327A4", "0fBD5D0DD1", "0f3E088889"};
        // c17, c15, c13, c11, c9, c7, c5 (Horner), then c3 = -1/3
        e.line("mov.f32 %s, %s;", poly, c[0]);
        for (int i = 1; i < c.length; i++) e.line("fma.rn.f32 %s, %s, %s, %s;", poly, poly, z, c[i]);
        e.line("fma.rn.f32 %s, %s, %s, 0fBEAAAAAB;", poly, poly, z);
        e.line("mul.rn.f32 %s, %s, %s;", poly, poly, z);
        e.line("fma.rn.f32 %s, %s, %s, %s;", ps, poly, x, x);
        e.line("add.rn.f32 %s, %s, %s;", two, ax, ax);
        exp(e, ex, two);
        e.line("add.rn.f32 %s, %s, 0f3F800000;", ex, ex);
        e.line("div.rn.f32 %s, 0f40000000, %s;", big, ex);
        e.line("sub.rn.f32 %s, 0f3F800000, %s;", big, big);
        e.line("copysign.f32 %s, %s, %s;", big, x, big);
        e.line("selp.f32 %s, %s, %s, %s;", d, ps, big, small);
    }

    /**
     * pow(x, y) = exp(y log|x|) with Java's rules: y == 0 gives 1; a negative base needs an
     * integer exponent (else NaN) and an odd one makes the result negative; zeros, infinities
     * and NaN follow from exp/log. Accuracy degrades with |y log x| (about |y log x| ulp).
     */
    static void pow(PtxEmitter e, String d, String x, String y) {
        String ax = e.b32(), l = e.b32(), t = e.b32(), r = e.b32(), yi = e.b32(), isInt = e.pred(), neg = e.pred();
        String ay = e.b32(), small = e.pred(), yInt = e.b32(), odd = e.pred(), lowBit = e.b32(), negRes = e.b32();
        String finiteNeg = e.pred(), notInf = e.pred(), nanCase = e.pred(), yZero = e.pred(), sign = e.b32();
        e.line("abs.f32 %s, %s;", ax, x);
        log(e, l, ax);
        e.line("mul.rn.f32 %s, %s, %s;", t, y, l);
        exp(e, r, t);
        e.line("cvt.rzi.f32.f32 %s, %s;", yi, y);
        e.line("setp.eq.f32 %s, %s, %s;", isInt, yi, y);
        e.line("abs.f32 %s, %s;", ay, y);
        e.line("setp.lt.f32 %s, %s, 0f4B800000;", small, ay);             // |y| < 2^24: parity is exact
        e.line("cvt.rzi.s32.f32 %s, %s;", yInt, y);
        e.line("and.b32 %s, %s, 1;", lowBit, yInt);
        e.line("setp.eq.and.s32 %s, %s, 1, %s;", odd, lowBit, small);
        e.line("and.pred %s, %s, %s;", odd, odd, isInt);
        e.line("mov.b32 %s, %s;", sign, x);
        e.line("setp.lt.and.s32 %s, %s, 0, %s;", neg, sign, odd);          // sign bit set and odd integer y
        e.line("neg.f32 %s, %s;", negRes, r);
        e.line("selp.f32 %s, %s, %s, %s;", r, negRes, r, neg);
        e.line("setp.lt.f32 %s, %s, 0f00000000;", finiteNeg, x);
        e.line("setp.ne.f32 %s, %s, 0fFF800000;", notInf, x);
        e.line("and.pred %s, %s, %s;", finiteNeg, finiteNeg, notInf);
        e.line("not.pred %s, %s;", isInt, isInt);
        e.line("and.pred %s, %s, %s;", nanCase, finiteNeg, isInt);
        e.line("selp.f32 %s, %s, %s, %s;", r, NAN, r, nanCase);
        e.line("setp.eq.f32 %s, %s, 0f00000000;", yZero, y);
        e.line("selp.f32 %s, 0f3F800000, %s, %s;", d, r, yZero);
    }

    /**
     * Java's Math.min/max: NaN if either operand is NaN, and -0.0 below +0.0. max.NaN gives
     * the NaN rule (f32; f64 by an explicit test); for equal operands the bitwise and (max)
     * or or (min) of the two picks +0.0 or -0.0 correctly and is the identity otherwise.
     */
    static void javaMinMax(PtxEmitter e, boolean max, Type t, String d, String a, String b) {
        String ty = PtxEmitter.arith(t), bits = PtxEmitter.bits(t);
        String r = e.scratch(t), eq = e.pred(), both = e.scratch(t);
        if (t == Type.F32) {
            e.line("%s.NaN.f32 %s, %s, %s;", max ? "max" : "min", r, a, b);
        } else {
            String nan = e.pred();
            e.line("%s.f64 %s, %s, %s;", max ? "max" : "min", r, a, b);
            e.line("setp.nan.f64 %s, %s, %s;", nan, a, b);
            e.line("selp.f64 %s, 0d7FF8000000000000, %s, %s;", r, r, nan);
        }
        e.line("setp.eq.%s %s, %s, %s;", ty, eq, a, b);
        e.line("%s.%s %s, %s, %s;", max ? "and" : "or", bits, both, a, b);
        e.line("selp.%s %s, %s, %s, %s;", ty, d, both, r, eq);
    }

    /**
     * Java's float and double remainder, exact (C's fmod): the sign of the dividend and
     * |r| &lt; |b|. With |a| = ma·2^ea and |b| = mb·2^eb (integer significands; a subnormal has
     * exponent 1 and no implicit bit), |r| = ((ma·2^(ea−eb)) mod mb)·2^eb, the power of two
     * applied in steps that keep the shifted remainder within 64 bits (40 bits a step for
     * float, 11 for double). |a| &lt; |b| (infinite b included) returns a; b zero, a infinite
     * or either NaN give NaN.
     */
    static void remainder(PtxEmitter e, Type t, String d, String a, String b) {
        boolean f = t == Type.F32;
        int mantBits = f ? 23 : 52, step = f ? 40 : 11;
        String ft = f ? "f32" : "f64";
        String ua = e.b64(), ub = e.b64(), ma = e.b64(), mb = e.b64(), r = e.b64(), sc = e.b64(), rf = e.b64();
        String ea = e.b32(), eb = e.b32(), dist = e.b32(), k = e.b32();
        String nan = e.pred(), keepA = e.pred(), more = e.pred();
        String mag = e.scratch(t), res = e.scratch(t);
        String loop = e.label("rem_loop"), done = e.label("rem_done");
        if (f) {
            String x = e.b32();
            e.line("mov.b32 %s, %s;", x, a);
            e.line("cvt.u64.u32 %s, %s;", ua, x);
            e.line("mov.b32 %s, %s;", x, b);
            e.line("cvt.u64.u32 %s, %s;", ub, x);
        } else {
            e.line("mov.b64 %s, %s;", ua, a);
            e.line("mov.b64 %s, %s;", ub, b);
        }
        long absMask = f ? 0x7fffffffL : 0x7fffffffffffffffL, inf = f ? 0x7f800000L : 0x7ff0000000000000L;
        e.line("and.b64 %s, %s, %d;", ua, ua, absMask);
        e.line("and.b64 %s, %s, %d;", ub, ub, absMask);
        e.line("setp.eq.u64 %s, %s, 0;", nan, ub);
        e.line("setp.ge.or.u64 %s, %s, %d, %s;", nan, ua, inf, nan);
        e.line("setp.gt.or.u64 %s, %s, %d, %s;", nan, ub, inf, nan);
        e.line("setp.lt.u64 %s, %s, %s;", keepA, ua, ub);
        significand(e, ua, ma, ea, mantBits);
        significand(e, ub, mb, eb, mantBits);
        e.line("max.u64 %s, %s, 1;", mb, mb);   // b == 0 is answered by NaN; no division by zero
        e.line("rem.u64 %s, %s, %s;", r, ma, mb);
        e.line("sub.s32 %s, %s, %s;", dist, ea, eb);
        e.line("@%s bra %s;", keepA, done);
        e.placeLabel(loop);
        e.line("setp.gt.s32 %s, %s, 0;", more, dist);
        e.line("@!%s bra %s;", more, done);
        e.line("min.s32 %s, %s, %d;", k, dist, step);
        e.line("shl.b64 %s, %s, %s;", r, r, k);
        e.line("rem.u64 %s, %s, %s;", r, r, mb);
        e.line("sub.s32 %s, %s, %s;", dist, dist, k);
        e.line("bra.uni %s;", loop);
        e.placeLabel(done);
        // |r| = r·2^(eb − bias − mantBits), exact since the remainder is representable.
        e.line("cvt.rn.f64.u64 %s, %s;", rf, r);
        if (f) {
            e.line("add.s32 %s, %s, %d;", k, eb, 1023 - 127 - 23);   // a normal double power for every eb
            e.line("cvt.u64.u32 %s, %s;", sc, k);
            e.line("shl.b64 %s, %s, 52;", sc, sc);
            e.line("mul.rn.f64 %s, %s, %s;", rf, rf, sc);
            e.line("cvt.rn.f32.f64 %s, %s;", mag, rf);
        } else {
            // 2^(eb − 1075) is subnormal for small eb: then scale by 2^(eb − 1075 + 64) (normal)
            // and by 2^-64, which rounds once (exactly); else by 2^(eb − 1075) and by 1.
            String small = e.pred(), tail = e.b64();
            e.line("setp.le.s32 %s, %s, 64;", small, eb);
            e.line("selp.s32 %s, 12, -52, %s;", k, small);
            e.line("add.s32 %s, %s, %s;", k, k, eb);
            e.line("cvt.u64.u32 %s, %s;", sc, k);
            e.line("shl.b64 %s, %s, 52;", sc, sc);
            e.line("mul.rn.f64 %s, %s, %s;", rf, rf, sc);
            e.line("selp.f64 %s, 0d3BF0000000000000, 0d3FF0000000000000, %s;", tail, small);
            e.line("mul.rn.f64 %s, %s, %s;", mag, rf, tail);
        }
        e.line("copysign.%s %s, %s, %s;", ft, res, a, mag);
        e.line("selp.%s %s, %s, %s, %s;", ft, res, a, res, keepA);
        e.line("selp.%s %s, %s, %s, %s;", ft, d, f ? NAN : "0d7FF8000000000000", res, nan);
    }

    /** Significand (u64) and exponent (s32, at least 1) of the non-negative float bits u (u64). */
    private static void significand(PtxEmitter e, String u, String m, String ex, int mantBits) {
        String w = e.b64(), norm = e.pred();
        e.line("shr.u64 %s, %s, %d;", w, u, mantBits);
        e.line("cvt.u32.u64 %s, %s;", ex, w);
        e.line("setp.ne.s32 %s, %s, 0;", norm, ex);
        e.line("max.s32 %s, %s, 1;", ex, ex);
        e.line("and.b64 %s, %s, %d;", m, u, (1L << mantBits) - 1);
        e.line("@%s or.b64 %s, %s, %d;", norm, m, m, 1L << mantBits);
    }

    static String imm(Imm i) { return PtxEmitter.imm(i); }
}
