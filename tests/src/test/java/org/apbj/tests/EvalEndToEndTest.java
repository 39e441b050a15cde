package org.apbj.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apbj.examples.eval.Scoring;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ./apbj eval end to end on tiny inputs: generation, two methods, scores, JSON, chart, per-sample log. */
class EvalEndToEndTest {

    @Test
    void scoresTwoMethodsAndWritesJsonChartAndLog(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("eval.json");
        Cli r = Cli.run("eval", "--in-process", "--device", Cli.device(), "--tasks", "passkey",
                "--lengths", "512", "--samples", "1", "--methods", "dense,apb", "--ranks", "2", "--max-new-tokens", "8",
                "--seed", "5", "--out", json.toString());
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.out().matches("(?s).*set passkey +512 +seed 5 +1 samples +sha256 [0-9a-f]{64}.*"), r.out());

        ObjectMapper m = new ObjectMapper();
        List<JsonNode> log = Files.readAllLines(dir.resolve("eval.samples.jsonl")).stream().map(l -> {
            try { return m.readTree(l); } catch (Exception e) { throw new AssertionError(l, e); }
        }).toList();
        assertEquals(2, log.size(), "1 task x 1 sample x 2 methods");
        // Re-score every logged prediction independently and compare with the reported cells.
        Map<String, Double> byCell = new HashMap<>();
        for (JsonNode l : log) {
            List<String> answers = m.convertValue(l.get("answer"), m.getTypeFactory().constructCollectionType(List.class, String.class));
            double s = Scoring.score(org.apbj.examples.eval.Metric.FIRST_NUMBER, l.get("prediction").asText(), answers);
            assertEquals(s, l.get("score").asDouble(), l.toString());
            assertEquals(64, l.get("promptSha256").asText().length());
            byCell.put(l.get("method").asText() + "/" + l.get("task").asText(), s * 100);
        }
        JsonNode report = m.readTree(json.toFile());
        for (JsonNode c : report.get("scores")) {
            assertEquals(byCell.get(c.get("method").asText() + "/" + c.get("task").asText()), c.get("score").asDouble(), c.toString());
        }
        assertEquals(100.0, byCell.get("dense/passkey"), "the tiny model finds a pass key at 512 tokens: " + log);
        assertEquals(2, report.get("averages").size());
        var png = ImageIO.read(dir.resolve("eval.png").toFile());
        assertTrue(png.getWidth() > 0 && png.getHeight() > 0);
    }
}
