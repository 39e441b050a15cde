package org.apbj.weights;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** bf16 rounding against a reference that picks the nearest of the two neighbouring bf16 values in fp64. */
class FloatsTest {
    @Test
    void floatToBf16RoundsToNearestEven() {
        SplittableRandom r = new SplittableRandom(20250217);
        for (int i = 0; i < 200_000; i++) {
            float x = Float.intBitsToFloat(r.nextInt());
            if (Float.isNaN(x)) continue;
            assertEquals(reference(x), Floats.floatToBf16(x), "x = " + x);
        }
        assertEquals((short) 0x3f80, Floats.floatToBf16(1f));
        assertEquals((short) 0x3f80, Floats.floatToBf16(Float.intBitsToFloat(0x3f808000)), "tie to even (down)");
        assertEquals((short) 0x3f82, Floats.floatToBf16(Float.intBitsToFloat(0x3f818000)), "tie to even (up)");
        assertTrue(Float.isNaN(Floats.bf16ToFloat(Floats.floatToBf16(Float.NaN))));
        assertEquals(Float.POSITIVE_INFINITY, Floats.bf16ToFloat(Floats.floatToBf16(Float.MAX_VALUE)));
    }

    /** Truncation and the next bf16 up (away from zero); the nearer wins, ties go to the even mantissa. */
    private static short reference(float x) {
        int bits = Float.floatToRawIntBits(x);
        short down = (short) (bits >>> 16);
        short up = (short) (down + 1);
        double dDown = Math.abs((double) x - Floats.bf16ToFloat(down));
        // Past the largest finite bf16, IEEE rounds as if the next value were 2^128 (then overflows to infinity).
        double upValue = Float.isInfinite(Floats.bf16ToFloat(up)) ? Math.copySign(Math.pow(2, 128), x) : Floats.bf16ToFloat(up);
        double dUp = Math.abs((double) x - upValue);
        if ((bits & 0xffff) == 0) return down;
        if (dDown < dUp) return down;
        if (dUp < dDown) return up;
        return (down & 1) == 0 ? down : up;
    }

    @Test
    void halfConversionsRoundTrip() {
        for (int b = 0; b < 65536; b++) {
            float f = Floats.f16ToFloat((short) b);
            if (!Float.isNaN(f)) assertEquals((short) b, Floats.floatToF16(f));
        }
        assertEquals(65504f, Floats.f16ToFloat((short) 0x7bff));
    }
}
