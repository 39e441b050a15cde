package org.apbj.kernels.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class RuntimeBenchTest {

    @Test
    void linesAreJsonObjectsWithRoundedNumbers() throws Exception {
        String line = RuntimeBench.line("saxpy", "kernel", "java \"compiled\"", "floats", 16, "median_ms", 1.234567f, "ratio", 0.5);
        assertTrue(!line.contains("\n"), line);
        JsonNode j = new ObjectMapper().readTree(line);
        assertEquals("saxpy", j.get("bench").asText());
        assertEquals("java \"compiled\"", j.get("kernel").asText());
        assertEquals(16, j.get("floats").asInt());
        assertEquals(1.2346, j.get("median_ms").asDouble(), 1e-9);
        assertEquals(0.5, j.get("ratio").asDouble(), 1e-9);
    }

    @Test
    void optionsAreParsedByPicocli() {
        RuntimeBench b = new RuntimeBench();
        new CommandLine(b).parseArgs("--device", "1", "--reps", "3");
        assertEquals(1, b.ordinal);
        assertEquals(3, b.reps);
        assertEquals(2048, b.copyMib);
    }
}
