package org.apbj.kernels.lib;

import org.apbj.kernels.testing.TestSeed;

import static org.apbj.kernels.lib.LibTesting.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Device;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Per-head top-k selection (exact, ties to the lower index, ascending output) and the K/V gather. */
@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class TopKTest {

    static Iterable<Backend> backends() { return LibTesting.backends(); }

    /** Continuous scores, scores with many ties, negative zero / infinities, the excluded prefix. */
    @ParameterizedTest
    @MethodSource("backends")
    void selectsTheSameRowsAsSorting(Backend backend) {
        Random r = random("selectsTheSameRowsAsSorting " + backend);
        int n = 700, nKv = 3;
        float[] scores = new float[n * nKv];
        for (int t = 0; t < n; t++) {
            scores[t * nKv] = (float) r.nextGaussian();                    // head 0: distinct values
            scores[t * nKv + 1] = r.nextInt(7) - 3;                        // head 1: heavy ties
            int kind = r.nextInt(10);                                     // head 2: specials
            scores[t * nKv + 2] = switch (kind) {
                case 0 -> Float.NEGATIVE_INFINITY;
                case 1 -> Float.POSITIVE_INFINITY;
                case 2 -> -0.0f;
                case 3 -> 0.0f;
                default -> (float) -Math.abs(r.nextGaussian());
            };
        }
        check(backend, scores, n, nKv, 13, 100);
        check(backend, scores, n, nKv, 0, 1);
        check(backend, scores, n, nKv, 5, n - 5);     // everything that is not excluded
        check(backend, scores, n, nKv, 0, 333);
    }

    /**
     * Long ragged sequences shaped like pooled retaining scores: plateaus of up to five equal
     * values (the max-pool's copies) over few distinct levels, so the k-th key is tied many times
     * and every radix pass matters; k and the excluded prefix not multiples of anything.
     */
    @ParameterizedTest
    @MethodSource("backends")
    void selectsExactlyOnLongSequencesWithPlateaus(Backend backend) {
        Random r = random("selectsExactlyOnLongSequencesWithPlateaus " + backend);
        int n = 4099, nKv = 2;
        float[] scores = new float[n * nKv];
        for (int h = 0; h < nKv; h++) {
            float level = 0;
            for (int t = 0; t < n; t++) {
                if (t % 5 == 0 || r.nextInt(4) == 0) level = h == 0 ? (float) r.nextGaussian() : r.nextInt(50) * 0.125f;
                scores[t * nKv + h] = level;
            }
        }
        check(backend, scores, n, nKv, 1027, 517);
        check(backend, scores, n, nKv, 0, 4099);
    }

    private static void check(Backend backend, float[] scores, int n, int nKv, int excludeFirst, int k) {
        Device d = device(backend);
        I32Array indices = d.allocI32((long) nKv * k);
        ops(backend).topK(f32(d, scores), n, nKv, excludeFirst, k, indices);
        d.synchronize();
        int[] got = read(d, indices);
        for (int h = 0; h < nKv; h++) {
            final int head = h;
            List<Integer> rows = new ArrayList<>();
            for (int t = excludeFirst; t < n; t++) rows.add(t);
            // descending score (Float.compare orders -0.0 below 0.0, as the kernel does), then lower index
            rows.sort((x, y) -> {
                int c = Float.compare(scores[y * nKv + head], scores[x * nKv + head]);
                return c != 0 ? c : Integer.compare(x, y);
            });
            int[] want = rows.subList(0, k).stream().mapToInt(Integer::intValue).sorted().toArray();
            assertArrayEquals(want, Arrays.copyOfRange(got, h * k, (h + 1) * k),
                    "head " + h + ", top-" + k + " of " + n + " excluding " + excludeFirst + " on " + backend);
        }
    }

    @Test
    void rejectsKLargerThanTheCandidateRows() {
        Device d = device(Backend.JAVA);
        var e = assertThrows(IllegalArgumentException.class,
                () -> ops(Backend.JAVA).topK(d.allocF32(20), 10, 2, 4, 7, d.allocI32(14)));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("k <= n - excludeFirst"), e.getMessage());
    }

    /** A gather moves bf16 bits: exact. */
    @ParameterizedTest
    @MethodSource("backends")
    void gatherCopiesEachHeadsChosenRows(Backend backend) {
        Random r = random("gatherCopiesEachHeadsChosenRows " + backend);
        Device d = device(backend);
        int nKv = 3, hd = 16, kvDim = nKv * hd, srcRows = 60, srcRow = 7, k = 11, dstRow = 4, dstRows = dstRow + k + 2;
        float[] srcK = bf16Gaussians(r, srcRows * kvDim, 1), srcV = bf16Gaussians(r, srcRows * kvDim, 1);
        float[] dstK0 = bf16Gaussians(r, dstRows * kvDim, 1), dstV0 = bf16Gaussians(r, dstRows * kvDim, 1);
        int[] idx = new int[nKv * k];
        for (int i = 0; i < idx.length; i++) idx[i] = r.nextInt(srcRows - srcRow);
        BF16Array dk = bf16(d, dstK0), dv = bf16(d, dstV0);
        ops(backend).gatherKv(bf16(d, srcK), bf16(d, srcV), srcRow, i32(d, idx), k, nKv, hd, dk, dv, dstRow);
        d.synchronize();
        float[] wantK = dstK0.clone(), wantV = dstV0.clone();
        for (int h = 0; h < nKv; h++) {
            for (int j = 0; j < k; j++) {
                for (int c = 0; c < hd; c++) {
                    int to = (dstRow + j) * kvDim + h * hd + c;
                    int from = (srcRow + idx[h * k + j]) * kvDim + h * hd + c;
                    wantK[to] = srcK[from];
                    wantV[to] = srcV[from];
                }
            }
        }
        assertArrayEquals(wantK, read(d, dk), "gathered K on " + backend);
        assertArrayEquals(wantV, read(d, dv), "gathered V on " + backend);
    }
}
