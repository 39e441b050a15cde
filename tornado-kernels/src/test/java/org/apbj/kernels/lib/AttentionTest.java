package org.apbj.kernels.lib;

import org.apbj.kernels.testing.TestSeed;

import static org.apbj.kernels.lib.LibTesting.*;

import java.util.Random;

import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Device;
import static org.junit.jupiter.api.Assertions.assertTrue;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Flash attention against an fp64 reference that materialises the masked score matrix,
 * with the mask written straight from APB-SPEC.md: keys = [P ; A ; B], queries = [A ; B];
 * anchor row i sees keys p..p+i, B row j sees keys 0..p+a+j; without causal, all keys.
 *
 * <p>Tolerance 2e-5 absolute on out and lse: the kernel accumulates q·k in fp32 over d terms
 * (worst case d·u·Σ|q·k|·scale ≈ 1e-5 for these logits of spread 2.5, typically √d smaller),
 * exponentials within a few ulp (GPU ex2.approx: 2 ulp), and weighted sums of values |v| ≲ 4
 * in fp32, so an output errs by about (logit error)·max|v|: observed ≲ 5e-7 on the Java device.
 * A masking, GQA or rescaling error moves outputs by ~0.1.
 */
@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class AttentionTest {

    /** The attention kernels {@link KernelOps#attention} chooses from. */
    enum AttentionKernel {
        /** {@link Attention}, fp32 units. */
        FP32,
        /** {@link FlashAttention}, mma.sync. */
        TENSOR_CORES,
        /** {@link FlashAttentionFa2}, mma.sync laid out as FlashAttention-2 (32 rows per warp, Q in shared memory). */
        TENSOR_CORES_FA2,
        /** {@link FlashAttentionHopper}, wgmma (its Java bodies off sm_90a). */
        HOPPER,
        /**
         * {@link FlashAttentionHopperWs}, warp-specialised and pipelined: its hand-offs (mbarriers,
         * named barriers) run for real on the Java device; OpenCL cannot run it.
         */
        HOPPER_PIPELINED,
        /**
         * {@link FlashAttentionHopperWs#attentionTma}: the pipelined kernel with K and V fed by
         * bulk tensor copies (one work-item's, completing on transaction bytes; the Java device
         * runs their meaning: the box copied at once, rows past the keys as zeros).
         */
        HOPPER_TMA,
        /**
         * {@link FlashAttentionHopperWs#attentionTmaPersistent}: {@link #HOPPER_TMA} with groups
         * that walk the work items, here at most {@link #PERSISTENT_GROUPS} of them, so that
         * every case wraps each group around several items (the K/V ring across items).
         */
        HOPPER_TMA_PERSISTENT,
        /**
         * {@link #HOPPER_TMA_PERSISTENT} with each item's Q stored ahead into a second buffer by
         * the producer warpgroup ({@code -Dapbj.attention.persistent=q-by-producer}; two K/V stages only).
         */
        HOPPER_TMA_PERSISTENT_Q;

        /** The persistent kernel's group count in tests: fewer than the work items of most cases. */
        static final int PERSISTENT_GROUPS = 3;

        boolean roundsToBf16() { return this != FP32; }

        boolean pipelined() { return this == HOPPER_PIPELINED || tma(); }

        boolean tma() { return this == HOPPER_TMA || persistent(); }

        boolean persistent() { return this == HOPPER_TMA_PERSISTENT || this == HOPPER_TMA_PERSISTENT_Q; }

        /** The schedules (specs) this kernel runs: a TMA producer's all, Q by the producer only with two stages. */
        java.util.stream.Stream<String> schedules() {
            if (!tma()) return pipelinedSchedules();
            return tmaSchedules().filter(spec -> this != HOPPER_TMA_PERSISTENT_Q
                    || FlashAttentionHopperWs.Schedule.parse(spec).stages() == 2);
        }

        /** The pipelined kernels cannot run on OpenCL (no hand-offs between work-items). */
        boolean runsOn(Backend backend) { return backend != Backend.OPENCL || !pipelined(); }

        KernelOps ops(Device d) {
            KernelOps ops = new KernelOps(d, REDUCTION_THREADS, this != FP32)
                    .useHopperAttention(this == HOPPER || pipelined())
                    .usePipelinedAttention(pipelined()).useTmaAttentionProducer(tma())
                    .usePersistentAttention(persistent()).persistentQByProducer(this == HOPPER_TMA_PERSISTENT_Q)
                    .persistentAttentionGroupsAtMost(PERSISTENT_GROUPS)
                    .useFa2Attention(this == TENSOR_CORES_FA2).decodeAttention(false);
            if (ops.pipelinedAttention() != pipelined() || ops.tmaAttentionProducer() != tma()) {
                throw new IllegalStateException(this + " on " + d.backend() + " would run another kernel");
            }
            return ops;
        }
    }

    /** Every backend with every attention kernel it can run. */
    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> kernels() {
        return LibTesting.backends().stream().flatMap(b -> java.util.Arrays.stream(AttentionKernel.values())
                .filter(k -> k.runsOn(b)).map(k -> org.junit.jupiter.params.provider.Arguments.of(b, k)));
    }

    /** The Hopper kernels on the Java device (for cases that are slow on the others). */
    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> hopperKernelsOnJava() {
        return java.util.stream.Stream.of(AttentionKernel.HOPPER, AttentionKernel.HOPPER_PIPELINED, AttentionKernel.HOPPER_TMA,
                        AttentionKernel.HOPPER_TMA_PERSISTENT, AttentionKernel.HOPPER_TMA_PERSISTENT_Q)
                .map(k -> org.junit.jupiter.params.provider.Arguments.of(Backend.JAVA, k));
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void plainCausal(Backend backend, AttentionKernel kernel) {
        Random r = random("plainCausal " + backend + " " + kernel);
        check(backend, kernel, r, 0, 0, 77, true, 4, 2, 64);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void apbMaskWithOddBlocks(Backend backend, AttentionKernel kernel) {
        Random r = random("apbMaskWithOddBlocks " + backend + " " + kernel);
        check(backend, kernel, r, 37, 29, 53, true, 4, 2, 64);
    }

    @ParameterizedTest
    @MethodSource("kernelsAtHeadDim128")
    void apbMaskHeadDim128(Backend backend, AttentionKernel kernel) {
        Random r = random("apbMaskHeadDim128 " + backend + " " + kernel);
        check(backend, kernel, r, 70, 5, 66, true, 2, 1, 128);
    }

    /** Several query groups and key tiles of every kernel (the Hopper kernel's ring of two stages turns twice), d = 128. */
    @ParameterizedTest
    @MethodSource("kernelsAtHeadDim128")
    void apbMaskManyTiles(Backend backend, AttentionKernel kernel) {
        Random r = random("apbMaskManyTiles " + backend + " " + kernel);
        check(backend, kernel, r, 150, 70, 190, true, 2, 1, 128);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void nonCausalSeesAllKeys(Backend backend, AttentionKernel kernel) {
        Random r = random("nonCausalSeesAllKeys " + backend + " " + kernel);
        check(backend, kernel, r, 40, 3, 90, false, 6, 3, 64);   // nq chosen independently below
    }

    /** A query block attends with no mask to keys of another block: nq unrelated to the key count. */
    @ParameterizedTest
    @MethodSource("kernels")
    void nonCausalQueriesAgainstForeignBlock(Backend backend, AttentionKernel kernel) {
        Random r = random("nonCausalQueriesAgainstForeignBlock " + backend + " " + kernel);
        Device d = device(backend);
        int nH = 4, nKv = 1, hd = 64, nq = 5, keys = 150;
        runAndCompare(backend, kernel, d, r, nq, keys, 0, 0, false, nH, nKv, hd);
    }

    /**
     * Many key tiles against two query groups without a mask (the pipelined kernel's K/V ring
     * turns four times, its consumers take nine turns each) and causal with an anchor spanning
     * several tiles, d = 64.
     */
    @ParameterizedTest
    @MethodSource("hopperKernelsOnJava")
    void longKeyRangesManyTurns(Backend backend, AttentionKernel kernel) {
        Random r = random("longKeyRangesManyTurns " + backend + " " + kernel);
        runAndCompare(backend, kernel, device(backend), r, 130, 1050, 0, 0, false, 2, 1, 64);
        check(backend, kernel, r, 300, 260, 131, true, 2, 2, 64);
    }

    /** Every schedule choice of the pipelined kernel, alone and together (and the original schedule). */
    static java.util.stream.Stream<String> pipelinedSchedules() {
        return java.util.stream.Stream.of("original", "default", "s3", "own-ranges", "s3+longest-first+own-ranges");
    }

    /** The TMA producer's schedules: {@link #pipelinedSchedules} and its load order (K of the next tile ahead of V). */
    static java.util.stream.Stream<String> tmaSchedules() {
        return java.util.stream.Stream.concat(pipelinedSchedules(), java.util.stream.Stream.of("k-ahead",
                "s3+k-ahead", "s3+longest-first+own-ranges+k-ahead"));
    }

    /** Both producers of the pipelined kernel (and the persistent forms) with every schedule each takes. */
    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> pipelinedKernelsAndSchedules() {
        return java.util.stream.Stream.of(AttentionKernel.HOPPER_PIPELINED, AttentionKernel.HOPPER_TMA,
                AttentionKernel.HOPPER_TMA_PERSISTENT, AttentionKernel.HOPPER_TMA_PERSISTENT_Q).flatMap(k ->
                k.schedules().map(spec -> org.junit.jupiter.params.provider.Arguments.of(k, spec)));
    }

    /** The persistent forms with every schedule each takes. */
    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> persistentKernelsAndSchedules() {
        return java.util.stream.Stream.of(AttentionKernel.HOPPER_TMA_PERSISTENT, AttentionKernel.HOPPER_TMA_PERSISTENT_Q)
                .flatMap(k -> k.schedules().map(spec -> org.junit.jupiter.params.provider.Arguments.of(k, spec)));
    }

    /**
     * The pipelined kernel's schedules (with either producer) on the Java device, where its hand-offs really block: the
     * cases where the two consumers' own key ranges differ, which changes the turns they take.
     * An anchor consumer whose first tile is 5 tiles after the other's (it releases 5 tiles,
     * more than the ring holds, before its first turn); ragged offsets, so the lower consumer
     * stops a tile before the upper one and releases the last tile after storing; a consumer
     * with no row below nq; several causal groups per head and GQA (launch order); key splits
     * with rows that see no key of a split; d = 128.
     */
    @ParameterizedTest
    @MethodSource("pipelinedKernelsAndSchedules")
    void pipelinedSchedulesAgree(AttentionKernel kernel, String spec) {
        pipelinedScheduleCases(Backend.JAVA, kernel, spec);
    }

    /** {@link #pipelinedSchedulesAgree}'s cases on one backend (the CUDA tests run them too). */
    void pipelinedScheduleCases(Backend backend, AttentionKernel kernel, String spec) {
        FlashAttentionHopperWs.Schedule schedule = FlashAttentionHopperWs.Schedule.parse(spec);
        Random r = random("pipelinedSchedulesAgree " + backend + " " + kernel + " " + spec);
        Device d = device(backend);
        int[][] cases = {   // p, a, b, causal, heads, kv heads, head dim
                {700, 64, 100, 1, 2, 1, 64},    // rows 0..63 anchors (keys 700..763), rows 64.. see keys from 0
                {37, 29, 250, 1, 4, 2, 64},     // ragged: consumer 0 ends a tile before consumer 1
                {200, 0, 50, 1, 2, 1, 64},      // consumer 1 has no row below nq
                {0, 0, 300, 1, 4, 2, 64},       // three causal groups per head, GQA
                {150, 70, 190, 1, 2, 1, 128},
                {520, 0, 3, 1, 2, 1, 64},       // split over keys
                {560, 2, 2, 1, 2, 1, 64},       // anchors see no key of split 0
        };
        for (int[] c : cases) {
            int nq = c[1] + c[2];
            runAndCompare(backend + " (" + kernel + " " + schedule + ")", true, d, r, nq, c[0] + c[1] + c[2], c[0], c[1],
                    c[3] == 1, c[4], c[5], c[6], (q, k, v, out, lse) -> kernel.ops(d).usePipelinedSchedule(schedule)
                            .attention(q, nq, k, v, c[0], c[1], c[2], c[3] == 1, c[4], c[5], c[6], out, lse));
        }
        runAndCompare(backend + " (" + kernel + " " + schedule + ")", true, d, r, 130, 700, 0, 0, false, 2, 1, 64,
                (q, k, v, out, lse) -> kernel.ops(d).usePipelinedSchedule(schedule)
                        .attention(q, 130, k, v, 0, 0, 700, false, 2, 1, 64, out, lse));
    }

    /**
     * {@link FlashAttentionFa2}'s forms other than the default (which every case above runs): the
     * original, and the swizzled tiles with two and three stages (the softmax changes of the default
     * with them).
     */
    static java.util.stream.Stream<String> fa2Forms() {
        return java.util.stream.Stream.of("original", "fast-max+lazy-rescale+swizzle", "fast-max+lazy-rescale+swizzle+s3");
    }

    /**
     * {@link #fa2FormCases}' first two on the Java device, which takes seconds a key tile (the CUDA
     * test runs them all; PoCL only the default form, which every case above runs).
     */
    @ParameterizedTest
    @MethodSource("fa2Forms")
    void fa2FormsAgree(String form) {
        fa2FormCases(Backend.JAVA, FlashAttentionFa2.Form.parse(form), 2);
    }

    /**
     * The first {@code count} cases of one form of {@link FlashAttentionFa2} against the fp64
     * reference: causal with keys whose logits grow along the sequence (running maxima move by
     * less and by more than the lazy rescale's threshold), the APB mask with ragged blocks at d =
     * 128 over four key tiles (the three-stage ring turns; swizzled chunks past 8), key splits
     * where anchor rows see no key of a split, non-causal with lse and GQA.
     */
    void fa2FormCases(Backend backend, FlashAttentionFa2.Form form, int count) {
        Random r = random("fa2FormCases " + backend + " " + form);
        Device d = device(backend);
        int[][] cases = {   // p, a, b, causal, heads, kv heads, head dim, key ramp
                {0, 0, 200, 1, 1, 1, 64, 12},
                {150, 5, 66, 1, 1, 1, 128, 0},
                {560, 2, 2, 1, 2, 1, 64, 0},
                {0, 0, 300, 0, 4, 2, 64, 0},   // non-causal: nq = 40 rows against all 300 keys
        };
        for (int[] c : java.util.Arrays.copyOf(cases, count)) {
            int nq = c[3] == 1 ? c[1] + c[2] : 40;
            runAndCompare(backend + " (FlashAttentionFa2 " + form + ")", true, d, r, nq, c[0] + c[1] + c[2], c[0], c[1],
                    c[3] == 1, c[4], c[5], c[6], c[7], (q, k, v, out, lse) -> AttentionKernel.TENSOR_CORES_FA2.ops(d)
                            .useFa2Form(form).attention(q, nq, k, v, c[0], c[1], c[2], c[3] == 1, c[4], c[5], c[6], out, lse));
        }
    }

    /**
     * K and V rows past the keys (a cache's rows not yet written) hold NaN: the kernels read them
     * as zeros or not at all (a NaN value row under a zero weight would still poison the output,
     * 0·NaN = NaN). Causal with a ragged last key tile and GQA, d = 64; non-causal, d = 128.
     */
    @ParameterizedTest
    @MethodSource("kernels")
    void rowsPastTheKeysAreNotSeen(Backend backend, AttentionKernel kernel) {
        Random r = random("rowsPastTheKeysAreNotSeen " + backend + " " + kernel);
        Device d = device(backend);
        int[][] cases = {   // nq, p, a, b, causal, heads, kv heads, head dim
                {90, 40, 0, 90, 1, 4, 2, 64},
                {20, 0, 0, 150, 0, 2, 1, 128},
        };
        for (int[] c : cases) {
            if (poclSkips(backend, kernel, c[7])) continue;   // the d = 64 case runs it on OpenCL
            int keys = c[1] + c[2] + c[3];
            long used = (long) keys * c[6] * c[7], padded = used + 100L * c[6] * c[7];
            runAndCompare(backend + " (" + kernel + ", NaN rows past the keys)", kernel.roundsToBf16(), d, r, c[0], keys,
                    c[1], c[2], c[4] == 1, c[5], c[6], c[7], (q, k, v, out, lse) -> kernel.ops(d).attention(q, c[0],
                            nanPadded(d, k, used, padded), nanPadded(d, v, used, padded), c[1], c[2], c[3], c[4] == 1, c[5],
                            c[6], c[7], out, lse));
        }
    }

    /** A device array of {@code padded} bf16: src's first {@code used}, then NaN. */
    private static BF16Array nanPadded(Device d, BF16Array src, long used, long padded) {
        BF16Array host = BF16Array.allocate(padded);
        for (long i = used; i < padded; i++) host.setFloat(i, Float.NaN);
        BF16Array out = d.upload(host);
        d.copy(out, 0, src, 0, used);
        return out;
    }

    /**
     * Few queries against many keys run split over key ranges (flash-decoding) and merged:
     * decoding after a long cache, and anchor rows that see no key of the first splits.
     */
    @ParameterizedTest
    @MethodSource("kernelsAtHeadDim128")
    void fewQueriesSplitOverKeys(Backend backend, AttentionKernel kernel) {
        Random r = random("fewQueriesSplitOverKeys " + backend + " " + kernel);
        assertTrue(KernelOps.attentionSplits(KernelOps.prefillGroups(3, 2), 523) > 1, "the decode case must take the split path");
        assertTrue(KernelOps.attentionSplits(KernelOps.prefillGroups(4, 2), 564) > 1, "the anchor case must take the split path");
        assertTrue(KernelOps.attentionSplits(KernelOps.prefillGroups(5, 2), 600) > 1, "the non-causal case must take the split path");
        check(backend, kernel, r, 520, 0, 3, true, 2, 1, 64);                  // decoding 3 tokens after 520
        check(backend, kernel, r, 560, 2, 2, true, 2, 1, 64);                  // anchors see no key of split 0
        runAndCompare(backend, kernel, device(backend), r, 5, 600, 0, 0, false, 2, 1, 128);
    }

    /**
     * The split-attention scratch a call needs is what {@link KernelOps#attentionScratchBytes}
     * says, and once reserved the call allocates nothing more (so it never waits to regrow it).
     */
    @org.junit.jupiter.api.Test
    void splitScratchIsPlannedAndReserved() {
        Device d = device(Backend.JAVA);
        int nq = 3, nH = 2, hd = 64, keys = 523;
        long want = KernelOps.attentionScratchBytes(nq, nH, 1, hd, keys);
        {
            KernelOps.KeySplit split = KernelOps.KeySplit.of(KernelOps.prefillGroups(nq, nH), keys);
            assertTrue(split.splits() > 1, "this call must take the split path");
            assertTrue(want == 4L * split.splits() * nq * nH * (hd + 1), "scratch bytes " + want + " for " + split);
        }
        try (KernelOps ops = new KernelOps(d, REDUCTION_THREADS, false).decodeAttention(false)) {
            long before = d.memory().allocatedBytes();
            ops.reserveAttentionScratch(nq, nH, 1, hd, keys);
            long reserved = d.memory().allocatedBytes() - before;
            assertTrue(reserved == want, "reserved " + reserved + " bytes, planned " + want);
            Random r = random("splitScratchIsPlannedAndReserved");
            F32Array q = f32(d, gaussians(r, nq * nH * hd, 1.0));
            BF16Array k = bf16(d, bf16Gaussians(r, keys * hd, 1.0)), v = bf16(d, bf16Gaussians(r, keys * hd, 1.0));
            F32Array out = d.allocF32((long) nq * nH * hd), lse = d.allocF32((long) nq * nH);
            long withInputs = d.memory().allocatedBytes();
            ops.attention(q, nq, k, v, keys - nq, 0, nq, true, nH, 1, hd, out, lse);
            d.synchronize();
            assertTrue(d.memory().allocatedBytes() == withInputs, "the call allocated "
                    + (d.memory().allocatedBytes() - withInputs) + " bytes past the reserved scratch");
        }
    }

    private static void check(Backend backend, AttentionKernel kernel, Random r, int p, int a, int b, boolean causal, int nH, int nKv, int hd) {
        Device d = device(backend);
        int nq = causal ? a + b : a + b + 11;
        runAndCompare(backend, kernel, d, r, nq, p + a + b, p, a, causal, nH, nKv, hd);
    }

    /**
     * PoCL takes about three minutes to build FlashAttentionFa2 at d = 128: there the d = 64 cases
     * run the method on OpenCL, and d = 128 runs on the Java device, in ptxas and on CUDA.
     */
    private static boolean poclSkips(Backend backend, AttentionKernel kernel, int hd) {
        return backend == Backend.OPENCL && kernel == AttentionKernel.TENSOR_CORES_FA2 && hd == 128;
    }

    /** {@link #kernels()} but for what {@link #poclSkips} leaves out at d = 128. */
    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> kernelsAtHeadDim128() {
        return kernels().filter(a -> !poclSkips((Backend) a.get()[0], (AttentionKernel) a.get()[1], 128));
    }

    /** keys = p + a + b total; with causal, nq = a + b. The prefill kernels (the decode kernel off). */
    private static void runAndCompare(Backend backend, AttentionKernel kernel, Device d, Random r, int nq, int keys, int p,
                                      int a, boolean causal, int nH, int nKv, int hd) {
        runAndCompare(backend + " (" + kernel + ")", kernel.roundsToBf16(), d, r, nq, keys, p, a, causal, nH, nKv, hd,
                (q, k, v, out, lse) -> kernel.ops(d).attention(q, nq, k, v, p, a, keys - p - a, causal, nH, nKv, hd, out, lse));
    }

    /** What runs the attention under test on the uploaded inputs. */
    interface Launch {
        void run(F32Array q, BF16Array k, BF16Array v, F32Array out, F32Array lse);
    }

    /**
     * Runs {@code launch} on fresh inputs (keys = p + a + b, K and V of exactly that many rows)
     * and compares out and lse with the fp64 reference; {@code bf16Rounding}: the kernel rounds
     * Q (scaled) and P to bf16, as the tensor-core kernels do.
     */
    static void runAndCompare(String where, boolean bf16Rounding, Device d, Random r, int nq, int keys, int p,
                              int a, boolean causal, int nH, int nKv, int hd, Launch launch) {
        runAndCompare(where, bf16Rounding, d, r, nq, keys, p, a, causal, nH, nKv, hd, 0.0, launch);
    }

    /**
     * {@link #runAndCompare(String, boolean, Device, Random, int, int, int, int, boolean, int, int, int, Launch)}
     * with K row {@code key} scaled by {@code 1 + keyRamp·key / keys}: with a ramp, later key tiles
     * raise the rows' running maxima by a few units at a time, then by more (the online softmax's
     * rescaling, and a lazy rescale's kept maxima, are then exercised at every tile).
     */
    static void runAndCompare(String where, boolean bf16Rounding, Device d, Random r, int nq, int keys, int p,
                              int a, boolean causal, int nH, int nKv, int hd, double keyRamp, Launch launch) {
        int b = keys - p - a;
        // logits of spread ~2.5 so rows are neither uniform nor one-hot
        float[] q = gaussians(r, nq * nH * hd, 2.5 / Math.pow(hd, 0.25));
        float[] k = bf16Gaussians(r, keys * nKv * hd, 1.0 / Math.pow(hd, 0.25));
        float[] v = bf16Gaussians(r, keys * nKv * hd, 1.0);
        for (int key = 0; key < keys && keyRamp != 0; key++) {
            for (int i = key * nKv * hd; i < (key + 1) * nKv * hd; i++) {
                k[i] = LibTesting.roundBf16((float) (k[i] * (1 + keyRamp * key / keys)));
            }
        }

        // The tensor-core kernel rounds q·scale·log2(e) to bf16 as it loads Q: the reference takes
        // the same rounded queries, so what remains is P's rounding to bf16 before P·V.
        float qScale = (float) (1.0 / Math.sqrt(hd)) * 1.4426950408889634f;
        double[] qUsed = new double[q.length];
        for (int i = 0; i < q.length; i++) {
            qUsed[i] = bf16Rounding ? org.apbj.kernels.api.KernelMath.bf16ToFloat(
                    org.apbj.kernels.api.KernelMath.floatToBf16(q[i] * qScale)) / (double) qScale : q[i];
        }
        AttentionReference want = new AttentionReference(qUsed, k, v, nq, keys, p, a, causal, nH, nKv, hd);

        F32Array out = d.allocF32((long) nq * nH * hd);
        F32Array lse = d.allocF32((long) nq * nH);
        launch.run(f32(d, q), bf16(d, k), bf16(d, v), out, lse);
        d.synchronize();
        String what = "attention p=" + p + " a=" + a + " b=" + b + " nq=" + nq + " causal=" + causal + " heads " + nH
                + "/" + nKv + " d=" + hd + " on " + where;
        // P in bf16 moves an output by at most 2^-9·Σ p|v| (each weight rounded relative to its
        // tile's running max, then rescaled exactly); twice that plus the fp32 bound leaves room for
        // ex2.approx and the split merge. A masking or rescaling error moves outputs by ~0.1.
        // lse does not see P's rounding.
        double[] outTol = new double[want.out.length];
        for (int i = 0; i < outTol.length; i++) outTol[i] = 2e-5 + (bf16Rounding ? 0x1p-8 * want.weightedAbs[i] : 0);
        assertClose(what + ": out", want.out, read(d, out), outTol);
        assertClose(what + ": lse", want.lse, read(d, lse), constant(want.lse.length, bf16Rounding ? 5e-5 : 2e-5));
    }

    /**
     * The persistent kernel does what {@link FlashAttentionHopperWs#attentionTma} does, in the same
     * order, only with fewer groups that each walk several work items: its out and lse are the
     * same bits, on fresh inputs. Causal with an anchor and GQA (10 items over 3 groups), key
     * splits (rows that see no key of a split), non-causal with a ragged last block; every
     * schedule choice each persistent form takes.
     */
    @ParameterizedTest
    @MethodSource("persistentKernelsAndSchedules")
    void persistentMatchesTmaBitForBit(AttentionKernel persistent, String spec) {
        persistentAgreesBitForBit(Backend.JAVA, persistent, spec);
    }

    /** {@link #persistentMatchesTmaBitForBit} on one backend (the CUDA tests run it too). */
    void persistentAgreesBitForBit(Backend backend, AttentionKernel persistent, String spec) {
        FlashAttentionHopperWs.Schedule schedule = FlashAttentionHopperWs.Schedule.parse(spec);
        Random r = random("persistentMatchesTmaBitForBit " + backend + " " + persistent + " " + spec);
        Device d = device(backend);
        int[][] cases = {   // p, a, b, causal, heads, kv heads, head dim, nq
                {150, 70, 190, 1, 4, 2, 64, 260},
                {560, 2, 2, 1, 2, 1, 64, 4},
                {0, 0, 300, 0, 2, 1, 128, 140},
        };
        for (int[] c : cases) {
            int keys = c[0] + c[1] + c[2], nq = c[7], nH = c[4], nKv = c[5], hd = c[6];
            F32Array q = f32(d, gaussians(r, nq * nH * hd, 2.5 / Math.pow(hd, 0.25)));
            BF16Array k = bf16(d, bf16Gaussians(r, keys * nKv * hd, 1.0 / Math.pow(hd, 0.25)));
            BF16Array v = bf16(d, bf16Gaussians(r, keys * nKv * hd, 1.0));
            float[][] got = new float[4][];
            for (AttentionKernel kernel : new AttentionKernel[] {AttentionKernel.HOPPER_TMA, persistent}) {
                F32Array out = d.allocF32((long) nq * nH * hd);
                F32Array lse = d.allocF32((long) nq * nH);
                kernel.ops(d).usePipelinedSchedule(schedule).attention(q, nq, k, v, c[0], c[1], c[2], c[3] == 1, nH, nKv,
                        hd, out, lse);
                d.synchronize();
                int at = kernel == AttentionKernel.HOPPER_TMA ? 0 : 2;
                got[at] = read(d, out);
                got[at + 1] = read(d, lse);
            }
            String what = "p=" + c[0] + " a=" + c[1] + " b=" + c[2] + " nq=" + nq + " causal=" + (c[3] == 1) + " heads "
                    + nH + "/" + nKv + " d=" + hd + " " + persistent + " " + spec + " on " + backend;
            org.junit.jupiter.api.Assertions.assertArrayEquals(bits(got[0]), bits(got[2]), "persistent out differs from attentionTma's: " + what);
            org.junit.jupiter.api.Assertions.assertArrayEquals(bits(got[1]), bits(got[3]), "persistent lse differs from attentionTma's: " + what);
        }
    }

    /** Q stored by the producer takes a second Q tile: with three K/V stages it would not fit, and says so. */
    @org.junit.jupiter.api.Test
    void qByProducerRefusesThreeStages() {
        Device d = device(Backend.JAVA);
        F32Array q = d.allocF32(128L * 64);
        BF16Array kv = d.allocBF16(128L * 64);
        KernelOps ops = AttentionKernel.HOPPER_TMA_PERSISTENT_Q.ops(d).usePipelinedSchedule(FlashAttentionHopperWs.Schedule.parse("s3"));
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> ops.attention(q, 128, kv,
                kv, 0, 0, 128, true, 1, 1, 64, d.allocF32(128L * 64), d.allocF32(128)));
        assertTrue(e.getMessage().contains("two K/V stages"), e.getMessage());
    }

    /** The float bits (NaN payloads and signed zeros included), so that equal means bit for bit. */
    private static int[] bits(float[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) out[i] = Float.floatToRawIntBits(values[i]);
        return out;
    }
}
