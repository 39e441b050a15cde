package org.apbj.kernels.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apbj.kernels.api.Kernel;
import org.apbj.kernels.lib.FlashAttention;
import org.apbj.kernels.lib.FlashAttentionFa2;
import org.apbj.kernels.lib.KernelLibrary;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mma.sync attention kernels as ptxas sees them: their @Unroll helpers leave every fragment
 * and accumulator in registers (no private array in local memory), the loops are gone (mma and
 * ldmatrix counts per key tile as the tile sizes say), K and V arrive by cp.async, and the
 * registers fit the groups per multiprocessor their @LaunchBounds ask for.
 * {@link FlashAttention} (16 rows per warp, three groups) may spill a few words;
 * {@link FlashAttentionFa2} (32 rows per warp, Q re-read from shared memory, two groups) a few
 * at d = 128 and none at d = 64.
 */
class FlashAttentionPtxTest {
    @TempDir
    static Path work;

    @TestFactory
    Stream<DynamicTest> sixteenRowsPerWarp() {
        assumeTrue(Ptxas.available(), "ptxas is not on the PATH: skipping the PTX resource checks");
        return cases().map(c -> DynamicTest.dynamicTest(c.label(), () -> {
            int d = c.headDim();
            String ptx = compile(KernelLibrary.FLASH_ATTENTION, c);
            int kSteps = d / 16;
            int keySteps = FlashAttention.BKV / 16;
            // S and P·V, two n-tiles per ldmatrix
            assertEquals(2 * keySteps * kSteps * 2, count(ptx, "mma.sync.aligned.m16n8k16"), "mma per key tile");
            assertEquals(keySteps * kSteps, count(ptx, "ldmatrix.sync.aligned.m8n8.x4.trans"), "ldmatrix.trans per tile");
            Ptxas.Resources r = resources("FlashAttention", ptx, c);
            // Three groups of 128 per multiprocessor (its @LaunchBounds): at most 170 registers; for
            // d = 128 ptxas spills a few words (8–44 B, outside the mma loops), which measured
            // faster than two groups without spills.
            assertTrue(r.registers() <= 65536 / (3 * FlashAttention.THREADS), r::report);
            assertTrue(r.spillStoreBytes() <= 64, () -> "spills grew:\n" + r.report());
        }));
    }

    /** The forms of {@link FlashAttentionFa2} checked here: the library's two and the swizzled ones. */
    private static final List<FlashAttentionFa2.Form> FA2_FORMS = List.of(FlashAttentionFa2.Form.ORIGINAL,
            FlashAttentionFa2.Form.DEFAULT, FlashAttentionFa2.Form.parse("fast-max+lazy-rescale+swizzle"),
            FlashAttentionFa2.Form.parse("fast-max+lazy-rescale+swizzle+s3"));

    @TestFactory
    Stream<DynamicTest> thirtyTwoRowsPerWarp() {
        assumeTrue(Ptxas.available(), "ptxas is not on the PATH: skipping the PTX resource checks");
        return cases().flatMap(c -> FA2_FORMS.stream().map(form -> DynamicTest.dynamicTest(c.label() + " " + form, () -> {
            int d = c.headDim();
            String ptx = compile(KernelLibrary.FLASH_ATTENTION_FA2, c, form.bits());
            int kSteps = d / 16;
            int keySteps = FlashAttentionFa2.BKV / 16;
            // S and P·V for two row tiles, each ldmatrix of K or V feeding four products
            assertEquals(2 * 2 * keySteps * kSteps * 2, count(ptx, "mma.sync.aligned.m16n8k16"), "mma per key tile");
            assertEquals(keySteps * kSteps, count(ptx, "ldmatrix.sync.aligned.m8n8.x4.trans"), "ldmatrix.trans per tile");
            // K: one per 16 keys and k step; Q: two per k step (re-read from shared memory, not held
            // in registers)
            assertEquals(kSteps * (keySteps + 2), count(ptx, "ldmatrix.sync.aligned.m8n8.x4.shared"),
                    "ldmatrix of Q and K per tile");
            // the softmax maxima: Java's max (four instructions) or maxNum (one)
            boolean fast = form.fastMax();
            assertEquals(fast ? 0 : 2 * 2 * (FlashAttentionFa2.BKV / 4 + 2), count(ptx, "max.NaN.f32"), "Java max");
            Ptxas.Resources r = resources("FlashAttentionFa2 " + form, ptx, c);
            // Two groups of 128 per multiprocessor: at most 255 registers. For d = 128 O (128) and S
            // (64) take 192 per lane. The original form spills 12–16 words (48–64 B) at d = 128 (O
            // rescaled between the two row tiles' softmax steps, and Java's max); the others none.
            // FlashAttention-2's own 128×64 kernel spills 172 B at d = 128.
            assertTrue(r.registers() <= 65536 / (2 * FlashAttentionFa2.THREADS), r::report);
            boolean original = form.equals(FlashAttentionFa2.Form.ORIGINAL);
            assertTrue(r.spillStoreBytes() <= (original && d == 128 ? 64 : 0), () -> "spills:\n" + r.report());
        })));
    }

    record Case(int headDim, boolean causal, Target target) {
        String label() { return "headDim " + headDim + (causal ? " causal " : " ") + target; }
    }

    private static Stream<Case> cases() {
        return Stream.of(64, 128).flatMap(d -> Stream.of(false, true).flatMap(causal ->
                Stream.of(Target.SM_80, Target.SM_90).map(t -> new Case(d, causal, t))));
    }

    private static String compile(Kernel kernel, Case c, Object... more) {
        Object[] args = {null, null, null, null, null, 0, 0, 0, 0, c.causal(), 0, 0, c.headDim(), 0f, 0};
        args = Stream.concat(java.util.Arrays.stream(args), java.util.Arrays.stream(more)).toArray();
        String ptx = KernelCompiler.compileUncached(kernel, c.target(), KernelCompiler.constantValues(kernel, args)).source();
        assertTrue(count(ptx, "cp.async.cg.shared.global") > 0, "K and V by cp.async");
        assertEquals(0, count(ptx, ".local"), "no private array left in local memory");
        return ptx;
    }

    private static Ptxas.Resources resources(String name, String ptx, Case c) throws Exception {
        Ptxas.Resources r = Ptxas.resources(ptx, c.target().arch(), work);
        System.out.println(name + " d=" + c.headDim() + " causal=" + c.causal() + " " + c.target() + ": " + r.registers()
                + " registers, " + r.sharedBytes() + " bytes shared, " + r.spillStoreBytes() + " bytes spilled, "
                + r.stackFrameBytes() + " bytes stack frame");
        String dump = System.getProperty("apbj.test.dumpPtx");   // a folder: keep the PTX to read it
        if (dump != null) {
            java.nio.file.Files.writeString(Path.of(dump, name.replace(' ', '_').replace('+', '_') + "_d" + c.headDim() + (c.causal() ? "_causal_" : "_")
                    + c.target().arch() + ".ptx"), ptx);
        }
        return r;
    }

    private static int count(String text, String what) {
        return text.split(java.util.regex.Pattern.quote(what), -1).length - 1;
    }
}
