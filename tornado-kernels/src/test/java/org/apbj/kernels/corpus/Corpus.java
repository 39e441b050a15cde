package org.apbj.kernels.corpus;

import static org.apbj.kernels.corpus.CorpusInputs.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.I64Array;
import org.apbj.kernels.api.I8Array;
import org.apbj.kernels.api.Kernel;
import org.apbj.kernels.corpus.CorpusCase.Tolerance;
import org.apbj.kernels.runtime.Grid;

/**
 * Every corpus kernel with its launch: the compiler's tests compile each one for every target;
 * the device tests run each one on every device and compare with the plain-Java run.
 */
public final class Corpus {
    private Corpus() {}

    static final int N = 256;

    public static List<CorpusCase> all() {
        List<CorpusCase> c = new ArrayList<>();
        Grid g = Grid.of(N, 64);
        Tolerance exact = Tolerance.EXACT;

        add(c, ArithmeticKernels.class, "vectorAdd", g, r -> args(zerosF32(N), floats(r, N), floats(r, N)), exact, 0);
        add(c, ArithmeticKernels.class, "saxpy", Grid.of(N + 64, 64), r -> args(floats(r, N), floats(r, N), 1.5f, N), exact, 0);
        add(c, ArithmeticKernels.class, "intOverflow", g, r -> args(zerosI32(4 * N), ints(r, N), ints(r, N)), exact, 0);
        add(c, ArithmeticKernels.class, "longArithmetic", g, r -> args(zerosI64(4 * N), longs(r, N), longs(r, N), ints(r, N)), exact, 0);
        add(c, ArithmeticKernels.class, "intDivision", g, r -> args(zerosI32(3 * N), ints(r, N), nonZeroInts(r, N)), exact, 0);
        add(c, ArithmeticKernels.class, "longDivision", g, r -> args(zerosI64(2 * N), longs(r, N), nonZeroLongs(r, N)), exact, 0);
        add(c, ArithmeticKernels.class, "shifts", g, r -> args(zerosI32(3 * N), zerosI64(3 * N), ints(r, N), intsIn(r, N, -100, 100)), exact, 0, 1);
        add(c, ArithmeticKernels.class, "floatArithmetic", g, r -> args(zerosF32(5 * N), floats(r, N), floats(r, N)), exact, 0);
        add(c, ArithmeticKernels.class, "floatRemainder", g, r -> args(zerosF32(N), floats(r, N), remainderDivisors(r, N)), exact, 0);
        add(c, ArithmeticKernels.class, "remainderBits", g,
                r -> args(zerosF32(N), zerosI64(N), floatBits(r, N), floatBits(r, N), randomLongBits(r, N), randomLongBits(r, N)), exact, 0, 1);
        add(c, ArithmeticKernels.class, "floatCompare", g, r -> args(zerosI32(N), floats(r, N), floats(r, N)), exact, 0);
        add(c, ArithmeticKernels.class, "doubleArithmetic", g, r -> args(zerosI64(2 * N), floats(r, N), floats(r, N)), exact, 0);
        add(c, ArithmeticKernels.class, "wideCompare", g, r -> args(zerosI32(N), longs(r, N), longs(r, N), floats(r, N)), exact, 0);

        add(c, ConversionKernels.class, "floatToInt", g, r -> args(zerosI32(2 * N), zerosI64(N), floats(r, N)), exact, 0, 1);
        add(c, ConversionKernels.class, "intToFloat", g, r -> args(zerosF32(3 * N), ints(r, N), longs(r, N)), exact, 0);
        add(c, ConversionKernels.class, "narrowing", g, r -> args(zerosI32(4 * N), ints(r, N), longs(r, N)), exact, 0);
        add(c, ConversionKernels.class, "floatBits", g, r -> args(zerosI32(2 * N), zerosF32(N), floatBits(r, N)), exact, 0, 1);
        add(c, ConversionKernels.class, "bf16RoundTrip", g, r -> args(zerosF32(N), BF16Array.allocate(N), bf16Bits(r, N), floatBits(r, N)), exact, 0, 1);
        add(c, ConversionKernels.class, "f16RoundTrip", g,
                r -> args(zerosF32(N), F16Array.allocate(N), zerosI32(2 * N), f16Bits(r, N), halfRangeFloats(r, N)), exact, 0, 1, 2);
        add(c, ConversionKernels.class, "byteArrays", g, r -> args(I8Array.allocate(N), zerosI32(N), bytes(r, N)), exact, 0, 1);

        add(c, ControlFlowKernels.class, "matmul", Grid.of(16 * 12, 32), r -> args(zerosF32(16 * 12), floatsIn(r, 16 * 9, -2, 2), floatsIn(r, 9 * 12, -2, 2), 16, 12, 9), exact, 0);
        add(c, ControlFlowKernels.class, "breakContinue", g, r -> args(zerosI32(N), ints(r, N)), exact, 0);
        add(c, ControlFlowKernels.class, "whileLoops", g, r -> args(zerosI32(N), intsIn(r, N, 0, 100000)), exact, 0);
        add(c, ControlFlowKernels.class, "tableSwitch", g, r -> args(zerosI32(N), ints(r, N)), exact, 0);
        add(c, ControlFlowKernels.class, "lookupSwitch", g, r -> args(zerosI32(N), lookupKeys(r, N)), exact, 0);
        add(c, ControlFlowKernels.class, "ternaries", g, r -> args(zerosF32(N), floats(r, N), intsIn(r, N, -200, 200)), exact, 0);
        add(c, ControlFlowKernels.class, "helpers", g, r -> args(zerosI32(N), zerosF32(N), ints(r, N), floats(r, N)), exact, 0, 1);
        add(c, ControlFlowKernels.class, "crossClass", Grid.of(N, 32), r -> args(zerosF32(N), floatsIn(r, N, -4, 4), N - 10), exact, 0);
        add(c, ControlFlowKernels.class, "constantTile", Grid.of(64, 32), r -> args(zerosF32(64), floats(r, 64 * 6), 6, 0.75f), exact, 0);
        add(c, ControlFlowKernels.class, "privateArrays", Grid.of(64, 32), r -> args(zerosI32(64), ints(r, 64 * 32)), exact, 0);
        add(c, ControlFlowKernels.class, "conditions", g, r -> args(zerosI32(N), ints(r, N), intsIn(r, N, -10, 10)), exact, 0);

        add(c, MathKernels.class, "expLog", g, r -> args(zerosF32(3 * N), mathInputs(r, N)), Tolerance.ulps(4), 0);
        add(c, MathKernels.class, "tanhSilu", g, r -> args(zerosF32(2 * N), mathInputs(r, N)), Tolerance.ulps(8), 0);
        add(c, MathKernels.class, "sqrtRsqrt", g, r -> args(zerosF32(3 * N), floats(r, N)), Tolerance.ulps(1), 0);
        add(c, MathKernels.class, "power", g, r -> args(zerosF32(N), powBases(r, N), powExponents(r, N)), Tolerance.ulps(64), 0);
        add(c, MathKernels.class, "minMaxAbs", g, r -> args(zerosF32(7 * N), floats(r, N), floats(r, N)), exact, 0);
        add(c, MathKernels.class, "maxNumbers", g, r -> args(zerosF32(2 * N), floats(r, N), floats(r, N)), exact, 0);
        add(c, MathKernels.class, "intMinMax", g, r -> args(zerosI32(3 * N), ints(r, N), ints(r, N)), exact, 0);
        add(c, MathKernels.class, "softmaxRows", Grid.of(32, 32), r -> args(zerosF32(32 * 40), floatsIn(r, 32 * 40, -20, 20), 40), Tolerance.ulps(8), 0);

        add(c, ParallelKernels.class, "ids2d", Grid.of(64, 4, 32, 2), r -> args(zerosI32(64 * 4 * 8)), exact, 0);
        add(c, ParallelKernels.class, "sharedReverse", g, r -> args(zerosF32(N), floats(r, N)), exact, 0);
        add(c, ParallelKernels.class, "sharedReduce", g, r -> args(zerosF32(N / 64), floatsIn(r, N, -1, 1)), Tolerance.ulps(0), 0);
        add(c, ParallelKernels.class, "sharedMixed", g, r -> args(zerosI32(N), ints(r, N)), exact, 0);
        add(c, ParallelKernels.class, "shuffles", g, r -> args(zerosF32(3 * N), zerosI32(3 * N), floats(r, N), ints(r, N)), exact, 0, 1);
        add(c, ParallelKernels.class, "warpReductions", g, r -> args(zerosF32(2 * N), zerosI32(2 * N), floatsIn(r, N, -8, 8), ints(r, N)), exact, 0, 1);
        add(c, ParallelKernels.class, "histogram", g, r -> args(zerosI32(13), ints(r, N), 13), exact, 0);
        add(c, ParallelKernels.class, "atomicSum", g, r -> args(zerosF32(4), smallIntegerFloats(r, N)), exact, 0);
        add(c, ParallelKernels.class, "index64", g, r -> args(zerosI64(N), floatsIn(r, 3 * N + 5, -1000, 1000), 5L, 3L), exact, 0);

        // Tensor cores: the device's sum order differs from the Java fma chain (to fp32 rounding).
        Tolerance mma = new Tolerance(64, 1e-4);
        int tiles = 4;
        add(c, TensorCoreKernels.class, "mmaTile", Grid.of(32 * tiles, TensorCoreKernels.GROUP),
                r -> args(zerosF32(128 * tiles), bf16Gaussians(r, 256 * tiles), bf16Gaussians(r, 128 * tiles), floats(r, 128 * tiles)),
                mma, 0);
        add(c, TensorCoreKernels.class, "mmaStaged", Grid.of(32 * tiles, TensorCoreKernels.GROUP),
                r -> args(zerosF32(128 * tiles), bf16Gaussians(r, 512 * tiles), bf16Gaussians(r, 256 * tiles),
                        floatsIn(r, 128 * tiles, -4, 4)), mma, 0);
        add(c, TensorCoreKernels.class, "mmaLdmatrix", Grid.of(32 * tiles, TensorCoreKernels.GROUP),
                r -> args(zerosF32(256 * tiles), bf16Gaussians(r, 256 * tiles), bf16Gaussians(r, 256 * tiles), floats(r, 256 * tiles)),
                mma, 0);
        add(c, TensorCoreKernels.class, "mmaAsyncTrans", Grid.of(32 * tiles, TensorCoreKernels.GROUP),
                r -> args(zerosF32(256 * tiles), bf16Gaussians(r, 256 * tiles), bf16Gaussians(r, 256 * tiles), floats(r, 256 * tiles), 11),
                mma, 0);
        // cp.async.ca of 4 and 8 bytes; the valid prefixes end inside the range that each copy covers, so
        // every copy has work-items in bounds and work-items zero-filled.
        int copies = 4 * AsyncCopyKernels.GROUP;
        add(c, AsyncCopyKernels.class, "smallCopies", Grid.of(copies, AsyncCopyKernels.GROUP),
                r -> args(zerosI32(4 * copies), zerosF32(3 * copies), bf16Gaussians(r, 4 * copies), floatBits(r, 2 * copies),
                        2 * copies - 2 * 37, copies - 45), exact, 0, 1);
        // 16-byte loads: two longs and four floats per load, random bits
        add(c, WideLoadKernels.class, "wideLoads", Grid.of(N + 64, 64),
                r -> args(zerosI64(4 * N), zerosF32(8 * N), randomLongBits(r, 2 * N), floatBits(r, 4 * N), N), exact, 0, 1);
        add(c, TensorCoreKernels.class, "packPairs", g, r -> args(zerosI32(N), floatBits(r, N), floats(r, N)), exact, 0);
        return c;
    }

    private static void add(List<CorpusCase> list, Class<?> owner, String name, Grid grid, Function<Random, Object[]> inputs,
                            Tolerance tol, int... outputs) {
        list.add(new CorpusCase(Kernel.of(owner, name), grid, inputs, outputs, tol));
    }

    private static Object[] args(Object... a) { return a; }

    /**
     * Divisors for the float remainder: moderate ones (quotients of the edge dividends like 1e20
     * and MAX_VALUE are far beyond 2^28), tiny and subnormal ones, zeros, infinities and NaN.
     */
    private static F32Array remainderDivisors(Random r, int n) {
        F32Array a = F32Array.allocate(n);
        float[] edges = {0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 1e-3f, -7f, 1e-30f, -3e-42f, Float.MIN_VALUE};
        for (int i = 0; i < n; i++) a.set(i, i % 9 == 4 ? edges[r.nextInt(edges.length)] : (float) (r.nextGaussian() * 1e3) + 1e-3f);
        return a;
    }

    /** Uniformly random 64-bit patterns (as doubles: every exponent, NaN payloads). */
    private static I64Array randomLongBits(Random r, int n) {
        I64Array a = I64Array.allocate(n);
        for (int i = 0; i < n; i++) a.set(i, r.nextLong());
        return a;
    }

    private static I32Array lookupKeys(Random r, int n) {
        I32Array a = intsIn(r, n, -3000, 3000);
        int[] keys = {-1000, 7, 100, 1999, 3999, -3000};
        for (int i = 0; i < n; i += 3) a.set(i, keys[r.nextInt(keys.length)]);
        return a;
    }

    /** Inputs for exp/log/tanh: moderate values, tiny values, large values, and the special ones. */
    private static F32Array mathInputs(Random r, int n) {
        F32Array a = F32Array.allocate(n);
        float[] edges = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 88.7f, 89f, -87f, -104f, -110f,
                Float.MIN_VALUE, 1e-30f, 1e-7f, -1e-7f, 0.54f, 0.56f, -0.55f, 1f, -1f, 20f, 1e30f};
        for (int i = 0; i < n; i++) {
            a.set(i, switch (i % 4) {
                case 0 -> edges[r.nextInt(edges.length)];
                case 1 -> (float) r.nextGaussian() * 0.3f;
                case 2 -> (float) r.nextGaussian() * 30f;
                default -> (float) Math.abs(r.nextGaussian()) * (float) Math.pow(10, r.nextInt(60) - 30);
            });
        }
        return a;
    }

    private static F32Array powBases(Random r, int n) {
        F32Array a = F32Array.allocate(n);
        float[] edges = {0f, -0f, 1f, -1f, 2f, -2f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0.5f, -3f};
        for (int i = 0; i < n; i++) a.set(i, i % 3 == 0 ? edges[r.nextInt(edges.length)] : (float) r.nextGaussian() * 4f);
        return a;
    }

    private static F32Array powExponents(Random r, int n) {
        F32Array a = F32Array.allocate(n);
        float[] edges = {0f, -0f, 1f, -1f, 2f, 3f, -3f, 0.5f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 10f};
        for (int i = 0; i < n; i++) a.set(i, i % 2 == 0 ? edges[r.nextInt(edges.length)] : (float) r.nextGaussian() * 3f);
        return a;
    }

    /** Floats spanning half precision's range: normals, subnormals, overflow and rounding ties. */
    private static F32Array halfRangeFloats(Random r, int n) {
        F32Array a = F32Array.allocate(n);
        for (int i = 0; i < n; i++) {
            a.set(i, switch (i % 3) {
                case 0 -> CorpusInputs.quietFloat(Float.intBitsToFloat(r.nextInt()));
                case 1 -> (float) (r.nextGaussian() * Math.pow(2, r.nextInt(40) - 26));
                default -> Float.float16ToFloat(CorpusInputs.quietHalf((short) r.nextInt(1 << 16))) * (1 + (r.nextInt(3) - 1) * 0x1p-11f);
            });
        }
        return a;
    }
}
