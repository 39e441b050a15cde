package org.apbj.kernels.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.regex.Pattern;
import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.DeviceArray;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I32Array;
import org.apbj.kernels.api.Kernel;
import org.apbj.kernels.corpus.AsyncCopyKernels;
import org.apbj.kernels.corpus.Corpus;
import org.apbj.kernels.corpus.CorpusCase;
import org.apbj.kernels.corpus.CorpusRunner;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.Devices;
import org.apbj.kernels.testing.TestSeed;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * AsyncCopy's 4- and 8-byte copies: the PTX is cp.async.ca of those sizes with the zero-fill
 * form, and the corpus kernel's results on the Java device and on OpenCL equal a copy worked out
 * here from the inputs (zeros past the valid prefix, bits unchanged, pairs packed low element
 * first). The corpus tests compare the same kernel on CUDA with the Java run.
 */
@ExtendWith(TestSeed.class)
class AsyncCopySmallTest {
    private static final Kernel KERNEL = Kernel.of(AsyncCopyKernels.class, "smallCopies");

    @Test
    void lowersToCpAsyncCaWithZeroFill() {
        String ptx = KernelCompiler.compile(KERNEL, Target.SM_80).source();
        assertEquals(2, count(ptx, Pattern.compile("cp\\.async\\.ca\\.shared\\.global \\[[^]]+\\], \\[[^]]+\\], 4, %\\w+;")), ptx);
        assertEquals(2, count(ptx, Pattern.compile("cp\\.async\\.ca\\.shared\\.global \\[[^]]+\\], \\[[^]]+\\], 8, %\\w+;")), ptx);
        assertEquals(2, count(ptx, Pattern.compile("selp\\.u32 %\\w+, 4, 0, ")), "src-size 4 or 0 (zero-fill)");
        assertEquals(2, count(ptx, Pattern.compile("selp\\.u32 %\\w+, 8, 0, ")), "src-size 8 or 0 (zero-fill)");
        assertTrue(ptx.contains("cp.async.commit_group;") && ptx.contains("cp.async.wait_group 0;"), ptx);
        assertEquals(0, count(ptx, Pattern.compile("\\.local")), "no private array in local memory");
    }

    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"JAVA", "OPENCL"})
    void copiesEqualTheInputsAndZerosPastTheEnd(Backend backend) {
        CorpusCase c = Corpus.all().stream().filter(x -> x.kernel().equals(KERNEL)).findFirst().orElseThrow();
        long seed = TestSeed.next();
        Object[] host = c.inputs().apply(new Random(seed));
        BF16Array bf16 = (BF16Array) host[2];
        F32Array f32 = (F32Array) host[3];
        int validBf16 = (Integer) host[4], validF32 = (Integer) host[5];
        int items = (int) (f32.length() / 2);
        // Each copy must meet both cases: the 4-byte ones cover 2·items bf16 / items fp32, the 8-byte ones twice that.
        assertTrue(validBf16 > 4 && validBf16 < 2 * items && validF32 > 2 && validF32 < items, "inputs that zero-fill every copy");
        DeviceArray[] out;
        try (Device d = Devices.open(backend)) {
            out = CorpusRunner.run(c, d, host);
        }
        I32Array words = (I32Array) out[0];
        F32Array floats = (F32Array) out[1];
        for (int i = 0; i < items; i++) {
            String at = "seed " + seed + ", " + backend + ", work-item " + i + ": ";
            assertEquals(2 * i + 2 <= validBf16 ? pair(bf16, 2 * i) : 0, words.get(4 * i), at + "copy4 of a bf16 pair");
            assertEquals(4 * i + 4 <= validBf16 ? pair(bf16, 4 * i) : 0, words.get(4 * i + 1), at + "copy8, first pair");
            assertEquals(4 * i + 4 <= validBf16 ? pair(bf16, 4 * i + 2) : 0, words.get(4 * i + 2), at + "copy8, second pair");
            assertEquals(bits(i < validF32 ? f32.get(i) : 0.0f), bits(floats.get(3 * i)), at + "copy4 of fp32");
            boolean in8 = 2 * i + 2 <= validF32;
            assertEquals(bits(in8 ? f32.get(2 * i) : 0.0f), bits(floats.get(3 * i + 1)), at + "copy8 of fp32, first");
            assertEquals(bits(in8 ? f32.get(2 * i + 1) : 0.0f), bits(floats.get(3 * i + 2)), at + "copy8 of fp32, second");
        }
    }

    private static int pair(BF16Array a, int i) { return (a.get(i) & 0xffff) | ((a.get(i + 1) & 0xffff) << 16); }

    private static int bits(float f) { return Float.floatToRawIntBits(f); }

    private static int count(String text, Pattern p) { return (int) p.matcher(text).results().count(); }
}
