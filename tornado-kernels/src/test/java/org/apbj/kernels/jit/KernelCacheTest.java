package org.apbj.kernels.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apbj.kernels.api.Kernel;
import org.apbj.kernels.corpus.ArithmeticKernels;
import org.apbj.kernels.corpus.ControlFlowKernels;
import org.apbj.kernels.corpus.ParallelKernels;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The compile cache: memory hits, disk round trips, and keys that separate what differs. */
class KernelCacheTest {
    @TempDir
    Path dir;
    private String previous;

    @BeforeEach
    void useTempDir() {
        previous = System.getProperty(KernelCache.DIR_PROPERTY);
        System.setProperty(KernelCache.DIR_PROPERTY, dir.toString());
    }

    @AfterEach
    void restore() {
        if (previous == null) System.clearProperty(KernelCache.DIR_PROPERTY);
        else System.setProperty(KernelCache.DIR_PROPERTY, previous);
    }

    @Test
    void secondCompileIsAMemoryHitAndWritesOneDiskEntry() throws IOException {
        Kernel k = Kernel.of(ArithmeticKernels.class, "vectorAdd");
        CompiledKernel a = KernelCompiler.compile(k, Target.SM_90);
        assertSame(a, KernelCompiler.compile(k, Target.SM_90));
        try (Stream<Path> files = Files.list(dir)) {
            List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(List.of(a.cacheKey() + ".properties", a.cacheKey() + ".ptx"), names);
        }
    }

    @Test
    void sharedCacheFollowsThePropertyWithoutRebuildingOnEveryLaunch() {
        KernelCache first = KernelCache.shared();
        assertSame(first, KernelCache.shared());
        assertEquals(dir, first.directory());
        System.setProperty(KernelCache.DIR_PROPERTY, dir.resolve("other").toString());
        KernelCache other = KernelCache.shared();
        assertEquals(dir.resolve("other"), other.directory());
        assertSame(other, KernelCache.shared());
        System.setProperty(KernelCache.DIR_PROPERTY, dir.toString());
        assertEquals(dir, KernelCache.shared().directory());
    }

    /** A launch picks its specialisation from the parameters Kernel.of read once (no reflection per launch). */
    @Test
    void constantsComeFromTheParametersReadAtKernelOf() {
        Kernel k = Kernel.of(RejectedKernels.class, "constantWithoutValue");
        assertEquals(List.of(new Kernel.Param(org.apbj.kernels.api.KernelContext.class, "ctx", false),
                new Kernel.Param(org.apbj.kernels.api.F32Array.class, "out", false), new Kernel.Param(int.class, "tile", true)), k.params());
        assertTrue(k.hasConstants());
        assertEquals(java.util.Arrays.asList(null, 7), java.util.Arrays.asList(KernelCompiler.constantValues(k, new Object[] {"out", 7})),
                "only the @Constant parameter's value is kept");
        assertSame(KernelCompiler.compile(k, Target.SM_90, new Object[] {null, 7}), KernelCompiler.compile(k, Target.SM_90, new Object[] {null, 7}));
        assertFalse(Kernel.of(ArithmeticKernels.class, "vectorAdd").hasConstants());
    }

    @Test
    void diskEntryRoundTripsAllFields() {
        Kernel k = Kernel.of(ParallelKernels.class, "sharedReduce");
        CompiledKernel compiled = KernelCompiler.compile(k, Target.OPENCL);
        KernelCache fresh = new KernelCache(dir);   // a new JVM would see only the disk
        CompiledKernel loaded = fresh.get(k, Target.OPENCL, new Object[2], () -> { throw new AssertionError("should come from disk"); });
        assertEquals(compiled, loaded);
        assertTrue(loaded.usesBarriers());
        assertEquals(64 * 4, loaded.sharedBytes());
    }

    @Test
    void keysSeparateTargetsAndConstants() {
        Kernel k = Kernel.of(ControlFlowKernels.class, "constantTile");
        Object[] six = {null, null, 6, 0.75f};
        CompiledKernel a = KernelCompiler.compile(k, Target.SM_90, six);
        CompiledKernel b = KernelCompiler.compile(k, Target.SM_90, new Object[] {null, null, 8, 0.75f});
        CompiledKernel c = KernelCompiler.compile(k, Target.SM_80, six);
        CompiledKernel d = KernelCompiler.compile(k, Target.SM_90, new Object[] {null, null, 6, -0.75f});
        assertNotEquals(a.cacheKey(), b.cacheKey());
        assertNotEquals(a.cacheKey(), c.cacheKey());
        assertNotEquals(a.cacheKey(), d.cacheKey());
        assertEquals(a.cacheKey(), KernelCompiler.compile(k, Target.SM_90, new Object[] {null, null, 6, 0.75f}).cacheKey());
        // Constants are folded away: not parameters, and the private array has the constant size.
        assertEquals(List.of("out", "in"), a.params().stream().map(CompiledKernel.Param::name).toList());
        assertTrue(a.source().contains(".local .align 16 .b8 window[24]"), a.source());
        assertTrue(b.source().contains(".local .align 16 .b8 window[32]"), b.source());
    }

    @Test
    void keyCoversInlinedCallees() {
        // crossClass inlines CorpusHelpers: its key differs from a kernel without callees even for the same target.
        CompiledKernel k = KernelCompiler.compile(Kernel.of(ControlFlowKernels.class, "crossClass"), Target.SM_90);
        assertEquals(40, k.cacheKey().length());
        assertTrue(org.apbj.kernels.jit.front.CalleeScanner.bytecode(Kernel.of(ControlFlowKernels.class, "crossClass").method())
                .keySet().stream().anyMatch(s -> s.startsWith("org.apbj.kernels.corpus.CorpusHelpers.polynomial")));
    }

    /** The key hashes each method's instructions, not only its name: an edited kernel body must miss the disk cache. */
    @Test
    void keyCoversTheBytecodeOfEveryMethod() {
        var code = org.apbj.kernels.jit.front.CalleeScanner.bytecode(Kernel.of(ControlFlowKernels.class, "crossClass").method());
        code.forEach((method, bytes) -> assertTrue(bytes.length > 0, method + " has no bytecode in the key"));
    }
}
