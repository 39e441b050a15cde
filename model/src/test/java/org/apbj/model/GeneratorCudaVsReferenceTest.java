package org.apbj.model;

import java.nio.file.Path;

import org.apbj.kernels.runtime.Devices;
import org.apbj.weights.ModelConfig;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link GeneratorVsReferenceTest} on CUDA device 0, with prompts long enough for the tiled GEMM; skipped without one. */
@Tag("gpu")
class GeneratorCudaVsReferenceTest {

    @TempDir
    Path tmp;

    @BeforeEach
    void needsCuda() {
        Assumptions.assumeTrue(Devices.cudaDeviceCount() > 0, "no CUDA device here");
    }

    @ParameterizedTest(name = "cuda {0} ropeScaling={1} tied={2} prompt={3} chunk={4} fused={5}")
    @CsvSource({
            "LLAMA, true,  false, 300, 128, false",
            "QWEN2, false, true,  200, 512, false",
            "LLAMA, true,  false, 300, 128, true",
            "QWEN2, false, true,  200, 512, true",
    })
    void matchesReference(ModelConfig.Family family, boolean ropeScaling, boolean tied, int promptLength, int chunk,
                          boolean fusedPrefill) {
        GeneratorVsReferenceTest.check(tmp, "cuda", family, ropeScaling, tied, promptLength, chunk, 32, fusedPrefill);
    }
}
