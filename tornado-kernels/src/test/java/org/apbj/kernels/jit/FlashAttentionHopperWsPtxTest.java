package org.apbj.kernels.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apbj.kernels.api.Kernel;
import org.apbj.kernels.lib.FlashAttentionHopperWs;
import org.apbj.kernels.lib.FlashAttentionHopperWsTesting;
import org.apbj.kernels.lib.KernelLibrary;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipelined wgmma attention as ptxas sees it for sm_90a: S = Q·Kᵀ issued in two places
 * (the first tile, the loop) and O += P·V in two (the loop, the last tile), all from registers
 * the products own: no local memory, no spills, no "wgmma serialized" warning (which ptxas gives
 * when an instruction touches a product's registers while it runs, e.g. if the softmax of S_j
 * read P_{j−1} under its P·V product), and the register split setmaxnreg asks for is one the
 * launch allotment can honour; with two K/V stages and with three (224 KiB of shared memory, within
 * what a block may opt into). OpenCL refuses it (hand-offs between work-items).
 */
class FlashAttentionHopperWsPtxTest {
    @TempDir
    static Path work;

    /** Every schedule choice: three stages (a specialisation of its own), launch order and per-consumer key ranges (run-time flags). */
    private static final FlashAttentionHopperWs.Schedule ALL_CHANGES = FlashAttentionHopperWs.Schedule.parse(
            "s3+longest-first+own-ranges");
    /** The most shared memory a block may opt into on H100/H200 (227 KiB). */
    private static final int H100_SHARED_OPT_IN = 227 * 1024;

    @TestFactory
    Stream<DynamicTest> registersOnlyNoSerialisation() {
        assumeTrue(Ptxas.available(), "ptxas is not on the PATH: skipping the PTX resource checks");
        // every schedule in the plain form; the default schedule also in dense prefill's form (RoPE on Q, bf16 out)
        return Stream.of(FlashAttentionHopperWs.Schedule.DEFAULT, ALL_CHANGES).flatMap(sch -> Stream.of(false, true)
                .filter(fused -> !fused || sch == FlashAttentionHopperWs.Schedule.DEFAULT).flatMap(fused -> Stream.of(64, 128)
                .flatMap(d -> Stream.of(false, true).map(causal ->
                DynamicTest.dynamicTest("headDim " + d + (causal ? " causal" : "") + " " + sch
                        + (fused ? " RoPE on Q, bf16 out" : ""), () -> {
                    CompiledKernel kernel = compile(Target.SM_90A, causal, d, sch, fused);
                    String ptx = kernel.source();
                    assertProducts(ptx, d);
                    assertTrue(ptx.contains("setmaxnreg.dec.sync.aligned.u32 " + FlashAttentionHopperWsTesting.producerRegisters()),
                            "producer gives registers up");
                    assertTrue(ptx.contains("setmaxnreg.inc.sync.aligned.u32 " + FlashAttentionHopperWsTesting.consumerRegisters()),
                            "consumers grow");
                    assertTrue(ptx.contains("cp.async.mbarrier.arrive.noinc"), "copies complete the full barriers");
                    assertTrue(ptx.contains(".extern .shared .align 1024"), "tiles in dynamic, 1024-aligned shared memory");
                    assertEquals(0, count(ptx, ".local"), "no private array left in local memory");
                    Ptxas.Resources r = Ptxas.resources(ptx, "sm_90a", work);
                    System.out.println("FlashAttentionHopperWs d=" + d + " causal=" + causal + " sm_90a: " + r.registers()
                            + " registers, " + r.spillStoreBytes() + " bytes spilled\n" + r.report());
                    assertFalse(r.report().contains("serializ"), r::report);
                    assertEquals(0, r.spillStoreBytes(), r::report);
                    assertTrue(r.registers() <= FlashAttentionHopperWsTesting.launchRegisters(), r::report);
                    assertTrue(kernel.sharedBytes() <= H100_SHARED_OPT_IN, kernel.sharedBytes() + " bytes of shared memory");
                })))));
    }

    /**
     * The TMA-fed form ({@link FlashAttentionHopperWs#attentionTma}) in every specialisation
     * CI compiles for it: the same products, register split and resource checks, its K and V
     * tiles loaded by bulk tensor copies of the two maps (one per 64-dim column block) completing
     * on mbarriers armed with the tile's bytes (three places: K in the plain order, K ahead, V), no
     * cp.async left, and the proxy fence only after the consumers' own stores of Q (the copies
     * write through the async proxy already). The same for its persistent form
     * ({@link FlashAttentionHopperWs#attentionTmaPersistent}), whose products, copies and
     * registers must survive the loop over work items around them, with Q stored by the
     * consumers or by two warps of the producer warpgroup (within its setmaxnreg registers).
     */
    @TestFactory
    Stream<DynamicTest> tmaProducerRegistersAndCopies() {
        assumeTrue(Ptxas.available(), "ptxas is not on the PATH: skipping the PTX resource checks");
        // attentionTma, attentionTmaPersistent with Q stored by the consumers, and by the producer (two stages only)
        return Stream.of("attentionTma", "persistent", "persistent, Q by producer").flatMap(form -> Stream.of(
                FlashAttentionHopperWs.Schedule.DEFAULT, ALL_CHANGES)
                .filter(sch -> !form.endsWith("producer") || sch.stages() == 2).flatMap(sch -> Stream.of(false, true)
                .flatMap(fused -> Stream.of(64, 128).flatMap(d -> Stream.of(false, true).map(causal ->
                DynamicTest.dynamicTest(form + " headDim " + d + (causal ? " causal" : "") + " " + sch
                        + (fused ? " RoPE on Q, bf16 out" : ""), () -> {
                    CompiledKernel kernel = compileTma(form, causal, d, sch, fused);
                    String ptx = kernel.source();
                    assertProducts(ptx, d);
                    boolean qLoaders = form.endsWith("producer") && fused;   // RoPE on Q in the producer warpgroup
                    assertTrue(ptx.contains("setmaxnreg.dec.sync.aligned.u32 " + (qLoaders
                            ? FlashAttentionHopperWsTesting.qLoaderProducerRegisters()
                            : FlashAttentionHopperWsTesting.producerRegisters())), "producer gives registers up");
                    assertTrue(ptx.contains("setmaxnreg.inc.sync.aligned.u32 " + (qLoaders
                            ? FlashAttentionHopperWsTesting.qLoaderConsumerRegisters()
                            : FlashAttentionHopperWsTesting.consumerRegisters())), "consumers grow");
                    long loads = count(ptx, "cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes");
                    assertTrue(loads >= 2, loads + " bulk tensor loads: K's and V's");
                    assertEquals(3, count(ptx, "mbarrier.arrive.expect_tx"),
                            "full barriers armed with the tile's bytes: K in order, K ahead, V");
                    assertEquals(0, count(ptx, "cp.async.cg") + count(ptx, "cp.async.ca") + count(ptx, "cp.async.mbarrier"),
                            "no cp.async left");
                    assertEquals(1, count(ptx, "fence.proxy.async"), "one proxy fence: after the Q stores (the consumers'"
                            + " or the producer's)");
                    assertEquals(0, count(ptx, ".local"), "no private array left in local memory");
                    Ptxas.Resources r = Ptxas.resources(ptx, "sm_90a", work);
                    System.out.println("FlashAttentionHopperWs " + form + " d=" + d + " causal=" + causal
                            + " " + sch + (fused ? " fused" : "") + " sm_90a: " + r.registers() + " registers, " + r.spillStoreBytes() + " bytes spilled\n" + r.report());
                    assertFalse(r.report().contains("serializ"), r::report);
                    assertEquals(0, r.spillStoreBytes(), r::report);
                    assertTrue(r.registers() <= FlashAttentionHopperWsTesting.launchRegisters(), r::report);
                    assertTrue(kernel.sharedBytes() <= H100_SHARED_OPT_IN, kernel.sharedBytes() + " bytes of shared memory");
                }))))));
    }

    /** S = Q·Kᵀ issued in two places (first tile, loop) and O += P·V in two (loop, last tile). */
    private static void assertProducts(String ptx, int d) {
        Matcher qk = Pattern.compile("wgmma\\.mma_async\\.sync\\.aligned\\.m64n" + FlashAttentionHopperWs.BKV
                + "k16\\.f32\\.bf16\\.bf16 \\{[^}]*\\}, %\\w+, %\\w+, %\\w+, 1, 1, 0, 0;").matcher(ptx);
        assertEquals(2 * d / 16, qk.results().count(), "S products (shared-memory operands): first tile and loop");
        Matcher pv = Pattern.compile("wgmma\\.mma_async\\.sync\\.aligned\\.m64n" + d
                + "k16\\.f32\\.bf16\\.bf16 \\{[^}]*\\}, \\{%\\w+, %\\w+, %\\w+, %\\w+\\}, %\\w+, %\\w+, 1, 1, 1;").matcher(ptx);
        assertEquals(2 * FlashAttentionHopperWs.BKV / 16, pv.results().count(), "P·V products: loop and last tile");
    }

    /** setmaxnreg.inc waits until registers are free: the consumers may grow only by what the producer gives up. */
    @Test
    void consumersGrowOnlyByWhatTheProducerGivesUp() {
        consumersGrowOnlyByWhatTheProducerGivesUp(FlashAttentionHopperWsTesting.producerRegisters(),
                FlashAttentionHopperWsTesting.consumerRegisters());
        // the persistent kernel whose producer warpgroup also stores Q
        consumersGrowOnlyByWhatTheProducerGivesUp(FlashAttentionHopperWsTesting.qLoaderProducerRegisters(),
                FlashAttentionHopperWsTesting.qLoaderConsumerRegisters());
    }

    private static void consumersGrowOnlyByWhatTheProducerGivesUp(int producer, int consumer) {
        int launch = FlashAttentionHopperWsTesting.launchRegisters();
        assertEquals(65536 / FlashAttentionHopperWs.THREADS / 8 * 8, launch);
        assertTrue(consumer > launch && producer < launch && consumer <= 256 && producer >= 24, launch + " / " + producer
                + " / " + consumer);
        assertTrue(128L * (launch - producer) >= (long) FlashAttentionHopperWs.CONSUMERS * 128 * (consumer - launch),
                "producer frees " + 128L * (launch - producer) + " registers, consumers need "
                        + FlashAttentionHopperWs.CONSUMERS * 128L * (consumer - launch));
    }

    /** Three stages take the Q tile and 3 × (K + V) tiles: 224 KiB and the barriers, within the 227 KiB a block may opt into. */
    @Test
    void threeStagesFitInSharedMemory() {
        int bytes = compile(Target.SM_90A, true, 128, ALL_CHANGES).sharedBytes();
        assertTrue(bytes >= 224 * 1024 && bytes <= H100_SHARED_OPT_IN, bytes + " bytes of shared memory");
    }

    @Test
    void openClRefusesTheHandOffs() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(KernelCompileException.class,
                () -> compile(Target.OPENCL, true, 128, FlashAttentionHopperWs.Schedule.DEFAULT));
        assertTrue(e.getMessage().contains("cannot run on OpenCL"), e.getMessage());
    }

    private static CompiledKernel compile(Target t, boolean causal, int d, FlashAttentionHopperWs.Schedule sch) {
        return compile(t, causal, d, sch, false);
    }

    /** fused: Q rotated by RoPE as it is loaded and the output stored as bf16 (the dense-prefill form). */
    private static CompiledKernel compile(Target t, boolean causal, int d, FlashAttentionHopperWs.Schedule sch, boolean fused) {
        Object[] args = {null, null, null, null, null, 0, 0, 0, 0, causal, 0, 0, d, 0f, 0, sch.stages(), sch.flags(),
                null, fused, null, null, fused};
        return KernelCompiler.compileUncached(KernelLibrary.FLASH_ATTENTION_HOPPER_WS, t,
                KernelCompiler.constantValues(KernelLibrary.FLASH_ATTENTION_HOPPER_WS, args));
    }

    /**
     * {@link FlashAttentionHopperWs#attentionTma} or {@link FlashAttentionHopperWs#attentionTmaPersistent}
     * (which takes the split count last) for sm_90a (fused as in {@link #compile}).
     */
    private static CompiledKernel compileTma(String form, boolean causal, int d, FlashAttentionHopperWs.Schedule sch,
                                             boolean fused) {
        Object[] args = {null, null, null, null, null, 0, 0, 0, 0, causal, 0, 0, d, 0f, 0, sch.stages(), sch.flags(),
                null, fused, null, null, fused};
        Kernel tmaKernel = KernelLibrary.FLASH_ATTENTION_HOPPER_WS_TMA;
        if (!form.equals("attentionTma")) {   // qByProducer, splits
            tmaKernel = KernelLibrary.FLASH_ATTENTION_HOPPER_WS_TMA_PERSISTENT;
            args = java.util.Arrays.copyOf(args, args.length + 2);
            args[args.length - 2] = form.endsWith("producer");
            args[args.length - 1] = 0;
        }
        return KernelCompiler.compileUncached(tmaKernel, Target.SM_90A, KernelCompiler.constantValues(tmaKernel, args));
    }

    private static int count(String text, String what) {
        return text.split(Pattern.quote(what), -1).length - 1;
    }
}
