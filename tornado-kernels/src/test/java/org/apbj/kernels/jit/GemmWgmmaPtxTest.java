package org.apbj.kernels.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.stream.Stream;
import org.apbj.kernels.lib.GemmTma;
import org.apbj.kernels.lib.GemmTmaPingPong;
import org.apbj.kernels.lib.GemmWgmma;
import org.apbj.kernels.lib.KernelLibrary;
import org.apbj.kernels.api.Kernel;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Hopper GEMMs (cp.async and TMA-fed) as ptxas sees them for sm_90a: the accumulators stay in
 * registers that the wgmma instructions own (no private array, no spills, and no "wgmma
 * serialized" warning, which ptxas gives when other instructions touch registers of a product
 * in flight), four products per k-slice, the stages in dynamic shared memory.
 */
class GemmWgmmaPtxTest {
    @TempDir
    static Path work;

    @TestFactory
    Stream<DynamicTest> registersOnlyNoSerialisation() {
        assumeTrue(Ptxas.available(), "ptxas is not on the PATH: skipping the PTX resource checks");
        return KernelLibrary.hopper().stream().filter(kernel -> kernel.owner() == GemmWgmma.class
                || kernel.owner() == org.apbj.kernels.lib.GemmTma.class).map(kernel ->
                DynamicTest.dynamicTest(kernel.name(), () -> {
                    Class<?>[] types = kernel.method().getParameterTypes();
                    Object[] args = new Object[types.length - 1];
                    for (int i = 1; i < types.length; i++) args[i - 1] = types[i] == boolean.class ? (Object) false : null;
                    boolean tma = kernel.owner() == GemmTma.class;
                    int mTiles = tma ? 1 : GemmWgmma.MAX_M_TILES;   // the tiles KernelOps launches on the GPU
                    if (!tma) args[args.length - 1] = mTiles;
                    CompiledKernel k = compile(kernel, args);
                    String ptx = k.source();
                    int products = GemmWgmma.BK / 16 * mTiles;   // per k-slice and warpgroup
                    int width = tma ? GemmTma.BN : GemmWgmma.BN;
                    assertEquals(products, count(ptx, "wgmma.mma_async.sync.aligned.m64n" + width + "k16.f32.bf16.bf16"),
                            "products per slice");
                    if (tma) {
                        assertEquals(3, count(ptx, "cp.async.bulk.tensor.2d.shared::cluster.global.tile"), "copies per slice");
                        assertEquals(0, count(ptx, "cp.async.ca") + count(ptx, "cp.async.cg"), "no per-thread copies");
                    }
                    assertTrue(ptx.contains(".extern .shared .align 1024"), "stages in dynamic, 1024-aligned shared memory");
                    assertEquals(0, count(ptx, ".local"), "no private array left in local memory");
                    Ptxas.Resources r = Ptxas.resources(ptx, "sm_90a", work);
                    System.out.println(kernel.name() + " sm_90a: " + r.registers() + " registers, " + r.spillStoreBytes()
                            + " bytes spilled\n" + r.report());
                    assertFalse(r.report().contains("serializ"), r::report);
                    assertEquals(0, r.spillStoreBytes(), r::report);
                    int threads = kernel.method().getAnnotation(org.apbj.kernels.api.LaunchBounds.class).threads();
                    assertTrue(r.registers() <= 65536 / threads, r::report);
                }));
    }

    /**
     * The ping-pong GEMM, both tile widths: eight products per k-slice and consumer (two 64-row
     * blocks × four k16), three bulk copies per slice, no spills, no serialisation, and the
     * stages in dynamic shared memory within the H200's 227 KiB.
     */
    @TestFactory
    Stream<DynamicTest> pingPongRegistersOnlyNoSerialisation() {
        assumeTrue(Ptxas.available(), "ptxas is not on the PATH: skipping the PTX resource checks");
        return KernelLibrary.hopper().stream().filter(kernel -> kernel.owner() == GemmTmaPingPong.class)
                .flatMap(kernel -> Stream.of(GemmTmaPingPong.NARROW, GemmTmaPingPong.WIDE).map(width ->
                        DynamicTest.dynamicTest(kernel.name() + " " + width, () -> {
                            Class<?>[] types = kernel.method().getParameterTypes();
                            Object[] args = new Object[types.length - 1];
                            for (int i = 1; i < types.length; i++) args[i - 1] = types[i] == boolean.class ? (Object) true : null;
                            args[args.length - 1] = width;   // tileColumns, the last parameter
                            CompiledKernel compiled = compile(kernel, args);
                            String ptx = compiled.source();
                            assertEquals(GemmWgmma.BK / 16 * 2, count(ptx, "wgmma.mma_async.sync.aligned.m64n" + width
                                    + "k16.f32.bf16.bf16"), "products per slice");
                            assertEquals(3, count(ptx, "cp.async.bulk.tensor.2d.shared::cluster.global.tile"),
                                    "copies per slice");
                            assertTrue(ptx.contains(".extern .shared .align 1024"), "stages in dynamic, 1024-aligned shared memory");
                            assertEquals(0, count(ptx, ".local"), "no private array left in local memory");
                            assertTrue(ptx.contains("setmaxnreg.inc.sync.aligned.u32 240"), "consumers grow to 240 registers");
                            assertTrue(ptx.contains("setmaxnreg.dec.sync.aligned.u32 24"), "the producer shrinks to 24");
                            Ptxas.Resources r = Ptxas.resources(ptx, "sm_90a", work);
                            System.out.println(kernel.name() + " tileColumns=" + width + " sm_90a: " + r.registers()
                                    + " registers, " + r.spillStoreBytes() + " bytes spilled\n" + r.report());
                            assertFalse(r.report().contains("serializ"), r::report);
                            assertEquals(0, r.spillStoreBytes(), r::report);
                            assertTrue(r.registers() <= 65536 / GemmTmaPingPong.THREADS, r::report);
                            int stages = org.apbj.kernels.lib.GemmTmaTesting.pingPongStages(width);
                            assertTrue(compiled.sharedBytes() >= stages * (GemmTmaPingPong.BM + width) * 128
                                    && compiled.sharedBytes() <= 227 * 1024, compiled.sharedBytes() + " bytes of shared memory");
                            System.out.println("  " + stages + " stages, " + compiled.sharedBytes() + " bytes of shared memory");
                        })));
    }

    /**
     * setmaxnreg.inc blocks until registers are free: the consumers' growth must fit in what the
     * producer gives up from the launch allotment, or the kernel hangs on the GPU (it did, with
     * 48/232, on the H200).
     */
    @org.junit.jupiter.api.Test
    void consumersGrowOnlyByWhatTheProducerGivesUp() {
        int launch = org.apbj.kernels.lib.GemmTmaTesting.launchRegisters();
        int producer = org.apbj.kernels.lib.GemmTmaTesting.producerRegisters();
        int consumer = org.apbj.kernels.lib.GemmTmaTesting.consumerRegisters();
        assertTrue(consumer > launch && producer < launch, launch + " / " + producer + " / " + consumer);
        assertTrue(128L * (launch - producer) >= 2L * 128 * (consumer - launch),
                "producer frees " + 128L * (launch - producer) + " registers, consumers need " + 256L * (consumer - launch));
    }

    /** As {@link #consumersGrowOnlyByWhatTheProducerGivesUp} for the ping-pong GEMM's 24 / 240 split. */
    @org.junit.jupiter.api.Test
    void pingPongConsumersGrowOnlyByWhatTheProducerGivesUp() {
        int launch = org.apbj.kernels.lib.GemmTmaTesting.pingPongLaunchRegisters();
        int producer = org.apbj.kernels.lib.GemmTmaTesting.pingPongProducerRegisters();
        int consumer = org.apbj.kernels.lib.GemmTmaTesting.pingPongConsumerRegisters();
        assertTrue(consumer > launch && producer < launch, launch + " / " + producer + " / " + consumer);
        assertTrue(128L * (launch - producer) >= 2L * 128 * (consumer - launch),
                "producer frees " + 128L * (launch - producer) + " registers, consumers need " + 256L * (consumer - launch));
    }

    private static CompiledKernel compile(Kernel kernel, Object[] launchArgs) {
        return KernelCompiler.compileUncached(kernel, Target.SM_90A, KernelCompiler.constantValues(kernel, launchArgs));
    }

    private static int count(String text, String what) {
        return text.split(java.util.regex.Pattern.quote(what), -1).length - 1;
    }
}
