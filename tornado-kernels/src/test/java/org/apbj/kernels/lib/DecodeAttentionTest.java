package org.apbj.kernels.lib;

import static org.apbj.kernels.lib.LibTesting.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.testing.TestSeed;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The GQA split-KV decode attention ({@link DecodeAttention}) through {@link KernelOps#attention},
 * which picks it for few query rows, against the fp64 reference of {@link AttentionTest}
 * (Q and P rounded to bf16 as the kernel does, the rest exact): ragged key counts, key splits,
 * several 16-row tiles per KV head, the APB mask (anchor rows that see no key of most splits),
 * rows that see no key at all, and the step variant that reads the cache length from the device.
 */
@ExtendWith(TestSeed.class)
class DecodeAttentionTest {

    static java.util.List<Backend> backends() { return LibTesting.backends(); }

    /** One decode token after a ragged cache, Llama-3's 4 query heads per KV head, split over keys. */
    @ParameterizedTest
    @MethodSource("backends")
    void decodeOneTokenGqa(Backend backend) {
        Device d = device(backend);
        assertTrue(KernelOps.attentionSplits(KernelOps.decodeGroups(1, 8, 2), 524) > 1, "must take the split path");
        check(backend, d, random("decodeOneTokenGqa " + backend), 1, 524, 523, 0, true, 8, 2, 128);
    }

    /** Three decode rows (speculative / chunked decode), causal among themselves, d = 64. */
    @ParameterizedTest
    @MethodSource("backends")
    void fewCausalRows(Backend backend) {
        check(backend, device(backend), random("fewCausalRows " + backend), 3, 301, 298, 0, true, 4, 1, 64);
    }

    /** 5 rows × 4 heads = 20 (row, head) pairs: two row tiles per KV head; non-causal (APB phase 2). */
    @ParameterizedTest
    @MethodSource("backends")
    void phaseTwoQueryTwoRowTiles(Backend backend) {
        assertEquals(2, DecodeAttention.rowTiles(5, 8, 2));
        check(backend, device(backend), random("phaseTwoQueryTwoRowTiles " + backend), 5, 600, 0, 0, false, 8, 2, 128);
    }

    /** Anchor rows see only keys p.. (none of the first splits); group of 7 heads per KV head (Qwen-7B-like). */
    @ParameterizedTest
    @MethodSource("backends")
    void anchorRowsAndOddGroup(Backend backend) {
        check(backend, device(backend), random("anchorRowsAndOddGroup " + backend), 4, 564, 560, 2, true, 14, 2, 64);
    }

    /** No keys at all: every row gets out = 0 and lse = -inf. */
    @ParameterizedTest
    @MethodSource("backends")
    void rowsThatSeeNoKey(Backend backend) {
        check(backend, device(backend), random("rowsThatSeeNoKey " + backend), 2, 0, 0, 0, false, 4, 2, 64);
    }

    /**
     * The step variant: the cache length comes from step[0] on the device and the key splits are
     * fixed by the capacity, so most splits of a short cache are empty and must weigh nothing.
     */
    @ParameterizedTest
    @MethodSource("backends")
    void cacheLengthFromTheDevice(Backend backend) {
        Device d = device(backend);
        Random r = random("cacheLengthFromTheDevice " + backend);
        int capacity = 2000, cached = 437, nH = 8, nKv = 2, hd = 128;
        assertTrue(KernelOps.KeySplit.of(KernelOps.decodeGroups(1, nH, nKv), capacity).splits() > 4);
        try (I32Array step = d.upload(I32Array.fromArray(new int[] {cached}))) {
            AttentionTest.runAndCompare(backend + " (decode, keys from the device)", true, d, r, 1, cached + 1, cached, 0,
                    true, nH, nKv, hd, (q, k, v, out, lse) -> {
                        // K and V of the whole capacity: rows past the cache length hold garbage that must not be read
                        try (BF16Array kc = d.allocBF16((long) capacity * nKv * hd);
                             BF16Array vc = d.allocBF16((long) capacity * nKv * hd)) {
                            fill(d, kc, 7.0f);
                            fill(d, vc, 7.0f);
                            d.copy(kc, 0, k, 0, k.length());
                            d.copy(vc, 0, v, 0, v.length());
                            try (KernelOps ops = ops(d)) {
                                ops.attentionAtStep(q, 1, kc, vc, step, 0, 1, true, nH, nKv, hd, capacity, out, lse);
                                d.synchronize();
                            }
                        }
                    });
        }
    }

    /** Many key splits: 33 (as at a 128K Llama-3-8B cache) and 64 (the most), merged by {@link Attention#mergeSplits}. */
    @ParameterizedTest
    @MethodSource("backends")
    void manySplits(Backend backend) {
        Device d = device(backend);
        assertEquals(33, KernelOps.KeySplit.of(KernelOps.decodeGroups(1, 4, 1), 10500).splits());
        assertEquals(KernelOps.MAX_SPLITS, KernelOps.KeySplit.of(KernelOps.decodeGroups(1, 2, 1), 20200).splits());
        check(backend, d, random("manySplits 33 " + backend), 1, 10500, 10499, 0, true, 4, 1, 64);
        check(backend, d, random("manySplits 64 " + backend), 2, 20200, 20198, 0, true, 2, 1, 64);
        check(backend, d, random("manySplits 5 rows " + backend), 5, 600, 0, 0, false, 8, 2, 128);
    }

    /** KernelOps takes the decode kernel for decode-sized calls only; prefill-sized calls stay on the prefill kernels. */
    @Test
    void choiceByRows() {
        try (KernelOps ops = new KernelOps(device(Backend.JAVA), REDUCTION_THREADS, false)) {
            assertTrue(ops.usesDecodeAttention(1, 32, 8));
            assertTrue(ops.usesDecodeAttention(16, 32, 8), "16 rows of Llama-3-8B: 4 tiles × 8 KV heads <= 32 heads");
            assertFalse(ops.usesDecodeAttention(17, 32, 8));
            assertFalse(ops.usesDecodeAttention(4096, 32, 8));
            assertFalse(ops.decodeAttention(false).usesDecodeAttention(1, 32, 8));
            assertThrows(IllegalArgumentException.class, () -> ops.decodeAttention(true).attentionAtStep(null, 64, null, null,
                    null, 0, 64, true, 32, 8, 128, 100, null, null));
        }
    }

    static void check(Backend backend, Device d, Random r, int nq, int keys, int p, int a, boolean causal, int nH,
                      int nKv, int hd) {
        int b = keys - p - a;
        try (KernelOps ops = ops(d)) {
            assertTrue(ops.usesDecodeAttention(nq, nH, nKv), "this case must run on the decode kernel");
            AttentionTest.runAndCompare(backend + " (decode)", true, d, r, nq, keys, p, a, causal, nH, nKv, hd,
                    (q, k, v, out, lse) -> ops.attention(q, nq, k, v, p, a, b, causal, nH, nKv, hd, out, lse));
        }
    }

    private static KernelOps ops(Device d) { return new KernelOps(d, REDUCTION_THREADS, false); }

    private static void fill(Device d, BF16Array a, float value) {
        float[] v = new float[(int) a.length()];
        java.util.Arrays.fill(v, value);
        try (BF16Array host = BF16Array.fromFloats(v)) {
            d.copy(a, 0, host, 0, v.length);
        }
    }
}
