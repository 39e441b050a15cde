package org.apbj.kernels.jit.opencl;

/**
 * Helper functions the generated OpenCL C calls where C's semantics differ from Java's:
 * integer division (no trap on / 0 or MIN / -1), min/max (NaN, signed zeros), pow's special
 * cases, bf16 and half conversions (bit-exact with KernelMath / Float), float atomics.
 *
 * <p>Half-precision NaN conversions follow the hardware (x86 F16C, which Java's JIT uses, and
 * GPUs): the NaN is quietened and the payload's top bits are kept. Java's interpreted code
 * differs for signalling NaNs and for float payload bits below the half's precision.
 */
final class OpenClPrelude {
    private OpenClPrelude() {}

    static final String COMMON = """
            // Java semantics the C operators do not have (names start with apbj_).
            int apbj_div_i32(int a, int b) { return b == 0 ? 0 : b == -1 ? as_int(0u - as_uint(a)) : a / b; }
            int apbj_rem_i32(int a, int b) { return (b == 0 || b == -1) ? 0 : a % b; }
            long apbj_div_i64(long a, long b) { return b == 0 ? 0 : b == -1 ? as_long(0ul - as_ulong(a)) : a / b; }
            long apbj_rem_i64(long a, long b) { return (b == 0 || b == -1) ? 0 : a % b; }
            float apbj_maxf(float a, float b) {
                if (isnan(a)) return a;
                if (isnan(b)) return b;
                if (a == b) return as_float(as_uint(a) & as_uint(b));
                return a > b ? a : b;
            }
            float apbj_minf(float a, float b) {
                if (isnan(a)) return a;
                if (isnan(b)) return b;
                if (a == b) return as_float(as_uint(a) | as_uint(b));
                return a < b ? a : b;
            }
            float apbj_powf(float x, float y) {
                if (y == 0.0f) return 1.0f;
                if (isnan(x) || isnan(y)) return NAN;
                if (fabs(x) == 1.0f && isinf(y)) return NAN;
                return pow(x, y);
            }
            int apbj_f2i(float x) { return isnan(x) ? 0 : convert_int_sat_rtz(x); }
            long apbj_f2l(float x) { return isnan(x) ? 0 : convert_long_sat_rtz(x); }
            int apbj_float_to_bf16(float f) {
                uint b = as_uint(f);
                uint r = (b & 0x7fffffffu) > 0x7f800000u ? (b >> 16) | 0x40u : (b + 0x7fffu + ((b >> 16) & 1u)) >> 16;
                return as_int(r << 16) >> 16;
            }
            int apbj_pack_bf16(float lo, float hi) {
                uint l = isnan(lo) ? 0x7fffu : as_uint(apbj_float_to_bf16(lo)) & 0xffffu;
                uint h = isnan(hi) ? 0x7fffu : as_uint(apbj_float_to_bf16(hi)) & 0xffffu;
                return as_int(l | (h << 16));
            }
            float apbj_half_to_float(int h) {
                uint sign = ((uint) h & 0x8000u) << 16;
                uint e = ((uint) h >> 10) & 0x1fu;
                uint m = (uint) h & 0x3ffu;
                if (e == 0x1fu) return as_float(sign | 0x7f800000u | (m << 13) | (m != 0u ? 0x400000u : 0u));
                if (e == 0u) { float v = (float) m * 0x1.0p-24f; return sign != 0u ? -v : v; }
                return as_float(sign | ((e + 112u) << 23) | (m << 13));
            }
            int apbj_float_to_half(float f) {
                uint b = as_uint(f);
                uint sign = (b >> 16) & 0x8000u;
                uint mag = b & 0x7fffffffu;
                uint h;
                if (mag > 0x7f800000u) {
                    h = sign | 0x7e00u | ((b >> 13) & 0x3ffu);
                } else if (mag >= 0x477ff000u) {
                    h = sign | 0x7c00u;
                } else if (mag < 0x38800000u) {
                    if (mag <= 0x33000000u) {
                        h = sign;
                    } else {
                        uint shift = 126u - (mag >> 23);
                        uint m = (mag & 0x7fffffu) | 0x800000u;
                        uint q = m >> shift, rest = m & ((1u << shift) - 1u), halfway = 1u << (shift - 1u);
                        if (rest > halfway || (rest == halfway && (q & 1u) != 0u)) q++;
                        h = sign | q;
                    }
                } else {
                    uint v = mag - 0x38000000u;
                    uint q = v >> 13, rest = v & 0x1fffu;
                    if (rest > 0x1000u || (rest == 0x1000u && (q & 1u) != 0u)) q++;
                    h = sign | q;
                }
                return as_int(h << 16) >> 16;
            }
            float apbj_atomic_add_f32(volatile __global float* p, float v) {
                uint old, next;
                do {
                    old = as_uint(*p);
                    next = as_uint(as_float(old) + v);
                } while (atomic_cmpxchg((volatile __global uint*) p, old, next) != old);
                return as_float(old);
            }
            """;

    /**
     * TensorCore.mmaBf16 for one lane: w holds the warp's fragments, six words per lane (A
     * registers 0..3, B registers 0..1); the same fma chain as the Java body.
     */
    static final String MMA = """
            float4 apbj_mma_bf16(__local const uint* w, int lane, float4 c) {
                int rowGroup = lane & ~3, t = lane & 3;
                float acc[4] = {c.x, c.y, c.z, c.w};
                for (int i = 0; i < 4; i++) {
                    int high = i >> 1, j = i & 1;
                    float sum = acc[i];
                    for (int k = 0; k < 16; k++) {
                        int s = (k & 7) >> 1;
                        uint wa = w[6 * (rowGroup + s) + high + ((k >> 3) << 1)];
                        uint wb = w[6 * (4 * (2 * t + j) + s) + 4 + (k >> 3)];
                        float av = as_float((k & 1) != 0 ? wa & 0xffff0000u : wa << 16);
                        float bv = as_float((k & 1) != 0 ? wb & 0xffff0000u : wb << 16);
                        sum = fma(av, bv, sum);
                    }
                    acc[i] = sum;
                }
                return (float4) (acc[0], acc[1], acc[2], acc[3]);
            }
            """;

    static final String DOUBLE = """
            double apbj_max(double a, double b) {
                if (isnan(a)) return a;
                if (isnan(b)) return b;
                if (a == b) return as_double(as_ulong(a) & as_ulong(b));
                return a > b ? a : b;
            }
            double apbj_min(double a, double b) {
                if (isnan(a)) return a;
                if (isnan(b)) return b;
                if (a == b) return as_double(as_ulong(a) | as_ulong(b));
                return a < b ? a : b;
            }
            double apbj_pow(double x, double y) {
                if (y == 0.0) return 1.0;
                if (isnan(x) || isnan(y)) return NAN;
                if (fabs(x) == 1.0 && isinf(y)) return NAN;
                return pow(x, y);
            }
            int apbj_d2i(double x) { return isnan(x) ? 0 : convert_int_sat_rtz(x); }
            long apbj_d2l(double x) { return isnan(x) ? 0 : convert_long_sat_rtz(x); }
            float apbj_rsqrtf(float x) { return (float) (1.0 / sqrt((double) x)); }
            """;
}
