package org.apbj.model.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class PrefillBenchTest {

    @Test
    void benchmarksASyntheticTinyModelOnTheJavaDevice() {
        var args = PrefillBench.Args.parse(new String[] {"--synthetic", "tiny", "--layers", "2", "--tokens", "48",
                "--decode", "2", "--chunk", "32", "--device", "java"});
        Map<String, Object> r = PrefillBench.run(args);
        System.out.println(PrefillBench.toJson(r));
        assertEquals(48, r.get("tokens"));
        assertTrue((double) r.get("prefill_seconds") > 0);
        assertTrue((double) r.get("profiled_prefill_seconds") > 0);
        @SuppressWarnings("unchecked")
        Map<String, Object> cold = (Map<String, Object>) r.get("cold_start");
        assertTrue((double) cold.get("model_load_seconds") > 0, cold.toString());
        assertEquals(0.0, (double) cold.get("first_compile_seconds"), "the Java device compiles nothing");
        @SuppressWarnings("unchecked")
        Map<String, Object> kinds = (Map<String, Object>) r.get("prefill_kernel_seconds");
        assertTrue((double) kinds.get("gemm") > 0 && (double) kinds.get("attention") > 0, kinds.toString());
        // GEMM FLOPs of a 2-layer tiny model (hidden 256, intermediate 512, 4/2 heads × 64) over 48 tokens,
        // plus the LM head of the last row of each of the two chunks... only the final row's logits are computed
        double perToken = 2.0 * 2 * (256 * 256 + 2 * 256 * 128 + 256 * 256 + 3 * 256 * 512);
        double expected = (perToken * 48 + 2.0 * 256 * (int) r.get("vocab")) / 1e12;
        assertEquals(expected, (double) r.get("gemm_tflop"), expected * 1e-5);
    }

    @Test
    void otherChunkSizesPrefillTheSamePromptToTheSameLogits() {
        var args = PrefillBench.Args.parse(new String[] {"--synthetic", "tiny", "--layers", "2", "--tokens", "40",
                "--decode", "0", "--chunk", "16", "--chunks-too", "40,7", "--device", "java", "--no-breakdown"});
        Map<String, Object> r = PrefillBench.run(args);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> others = (List<Map<String, Object>>) r.get("other_chunks");
        assertEquals(2, others.size(), r.toString());
        assertEquals(40, others.get(0).get("prefill_chunk"));
        assertEquals(7, others.get(1).get("prefill_chunk"));
        for (Map<String, Object> o : others) {
            assertTrue((double) o.get("prefill_seconds") > 0, o.toString());
            // one chunking or another computes the same rows; the order of partial sums and where bf16
            // rounding happens may differ (3.5e-4 of the range seen), a wrong chunk would be far off
            assertTrue((double) o.get("logits_max_abs_diff_over_range") < 2e-3, o.toString());
            assertEquals(true, o.get("same_greedy_token"), o.toString());
        }
    }

    @Test
    void aNonPositiveOtherChunkIsRefusedWithTheOptionName() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> PrefillBench.Args.parse(
                new String[] {"--synthetic", "tiny", "--chunks-too", "64,0"}));
        assertTrue(e.getMessage().contains("--chunks-too"), e.getMessage());
    }
}
