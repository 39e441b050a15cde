package org.apbj.kernels.corpus;

import java.util.Random;
import java.util.function.Function;
import org.apbj.kernels.api.Kernel;
import org.apbj.kernels.runtime.Grid;

/**
 * One corpus kernel with what it takes to run and check it on any device.
 *
 * @param kernel     the kernel method
 * @param grid       launch geometry
 * @param inputs     makes the launch arguments (after the KernelContext) from a seeded
 *                   Random: host arrays (allocated with e.g. F32Array.allocate) and boxed
 *                   primitives; outputs are arrays too and start zero-filled
 * @param outputs    indices into the launch arguments of the arrays to compare
 * @param tolerance  how close float outputs must be to the plain-Java run; integer and
 *                   16-bit-pattern arrays are always compared bit for bit
 */
public record CorpusCase(Kernel kernel, Grid grid, Function<Random, Object[]> inputs, int[] outputs, Tolerance tolerance) {

    /** Float comparison: equal bits, both NaN, within {@code ulps} units in the last place, or within {@code abs}. */
    public record Tolerance(int ulps, double abs) {
        public static final Tolerance EXACT = new Tolerance(0, 0);

        public static Tolerance ulps(int n) { return new Tolerance(n, 0); }

        public boolean accepts(float expected, float actual) {
            if (Float.floatToRawIntBits(expected) == Float.floatToRawIntBits(actual)) return true;
            if (Float.isNaN(expected) && Float.isNaN(actual)) return true;
            if (Float.isNaN(expected) || Float.isNaN(actual)) return false;
            if (Math.abs((double) expected - actual) <= abs) return true;
            return ulpDistance(expected, actual) <= ulps;
        }

        public boolean accepts(double expected, double actual) {
            if (Double.doubleToRawLongBits(expected) == Double.doubleToRawLongBits(actual)) return true;
            if (Double.isNaN(expected) && Double.isNaN(actual)) return true;
            if (Double.isNaN(expected) || Double.isNaN(actual)) return false;
            if (Math.abs(expected - actual) <= abs) return true;
            return ulpDistance(expected, actual) <= ulps;
        }

        /** Distance in representable floats (+0 and -0 are 0 apart... and 1 from the smallest subnormals). */
        public static long ulpDistance(float a, float b) {
            return Math.abs(ordered(Float.floatToRawIntBits(a)) - ordered(Float.floatToRawIntBits(b)));
        }

        public static long ulpDistance(double a, double b) {
            long x = Double.doubleToRawLongBits(a), y = Double.doubleToRawLongBits(b);
            x = x < 0 ? Long.MIN_VALUE - x : x;
            y = y < 0 ? Long.MIN_VALUE - y : y;
            return Math.abs(x - y);
        }

        private static long ordered(int bits) { return bits < 0 ? (long) Integer.MIN_VALUE - bits : bits; }
    }

    public String name() { return kernel.owner().getSimpleName() + "." + kernel.name(); }

    @Override
    public String toString() { return name(); }
}
