package org.apbj.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ./apbj bench end to end on a 2-layer synthetic tiny model at short lengths. */
class BenchEndToEndTest {

    @Test
    void timesEveryMethodAndLengthWithABreakdownThatAddsUp(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("bench.json");
        Cli r = Cli.run("bench", "--synth", "tiny", "--layers", "2", "--methods", "dense,ring,star,apb", "--lengths", "128,256",
                "--ranks", "2", "--warmup", "1", "--repeat", "1", "--in-process", "--device", Cli.device(), "--out", json.toString());
        assertEquals(0, r.status(), r.toString());
        JsonNode report = new ObjectMapper().readTree(json.toFile());
        JsonNode cells = report.get("cells");
        assertEquals(8, cells.size(), "4 methods x 2 lengths");
        for (JsonNode c : cells) {
            assertEquals(1, c.get("warmupPrefillMs").size(), c.toString());
            assertEquals(1, c.get("prefillMs").size(), c.toString());
            double median = c.get("medianPrefillMs").asDouble();
            assertTrue(median > 0, c.toString());
            assertEquals(c.get("length").asInt() / (median / 1000), c.get("tokensPerSecond").asDouble(), 1e-6 * c.get("tokensPerSecond").asDouble());
            double sum = 0;
            for (JsonNode v : c.get("breakdownMs")) sum += v.asDouble();
            // the categories are timed sections of the slowest rank's prefill: they cannot exceed it
            assertTrue(sum <= median * 1.02 + 1, "breakdown " + sum + " ms > prefill " + median + " ms: " + c);
            assertTrue(sum >= median * 0.5, "breakdown " + sum + " ms covers too little of " + median + " ms: " + c);
            assertEquals(c.get("method").asText().equals("dense") ? 1 : 2, c.get("ranks").asInt());
        }
        // four panels, two per row: time, tokens/s, the slowest rank's breakdown, every rank's time
        var png = ImageIO.read(dir.resolve("bench.png").toFile());
        assertEquals(2 * org.apbj.examples.report.ChartFile.PANEL_WIDTH, png.getWidth());
        assertEquals(2 * org.apbj.examples.report.ChartFile.PANEL_HEIGHT, png.getHeight());
        assertTrue(r.out().contains("chart: " + dir.resolve("bench.png")), r.toString());
    }
}
