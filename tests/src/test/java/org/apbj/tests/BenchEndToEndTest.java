package org.apbj.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.apbj.model.DeviceModel;
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
            var names = c.get("breakdownMs").fieldNames();
            while (names.hasNext()) {
                String name = names.next();
                // communication runs on its own thread, overlapped with compute; what the compute
                // waited for of it is "exposed_communication", which the sum keeps
                if (!name.equals("communication")) sum += c.get("breakdownMs").get(name).asDouble();
            }
            // the categories on the compute stream are timed sections of the slowest rank's prefill: they cannot exceed it
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

    /**
     * With warm-up runs, each method is one job: the model is loaded once per rank for all its
     * lengths and runs (counted in this JVM, and in the report's cold-start section), the cold
     * figures (model load, first prefill) stand apart from the warm medians, and a peer's figures
     * give ratios.
     */
    @Test
    void oneModelLoadPerMethodWithColdAndWarmFiguresAndPeerRatios(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("bench.json");
        Path peer = dir.resolve("peer.json");
        Files.writeString(peer, """
                {"peer": "test peer", "device": "test gpu",
                 "results": [{"tokens": 128, "prefill_seconds": 0.002, "decode_ms_per_token": 0.5},
                             {"tokens": 256, "prefill_seconds": 0.004, "decode_ms_per_token": null}]}
                """);
        long loads = DeviceModel.loads();
        Cli r = Cli.run("bench", "--synth", "tiny", "--layers", "2", "--methods", "dense,apb", "--lengths", "128,256",
                "--ranks", "2", "--warmup", "1", "--repeat", "2", "--decode", "2", "--in-process", "--device", Cli.device(),
                "--peer", peer.toString(), "--out", json.toString());
        assertEquals(0, r.status(), r.toString());
        assertEquals(1 + 2, DeviceModel.loads() - loads, "one load per rank and method (dense: 1 rank, apb: 2), not per run: " + r);

        JsonNode report = new ObjectMapper().readTree(json.toFile());
        JsonNode colds = report.get("coldStarts");
        assertEquals(2, colds.size(), report.toString());
        for (JsonNode c : colds) {
            assertEquals(2 * (1 + 2), c.get("requests").asInt(), "2 lengths x (1 warm-up + 2 timed) in one job: " + c);
            assertTrue(c.get("modelLoadMs").asDouble() > 0, c.toString());
            assertTrue(c.get("firstPrefillMs").asDouble() > 0, c.toString());
            assertTrue(c.get("jvmStartMs").isNull(), "in-process ranks start no JVM: " + c);
            assertTrue(c.get("firstCompileMs").asDouble() >= 0, c.toString());
        }
        for (JsonNode c : report.get("cells")) {
            assertEquals(1, c.get("warmupPrefillMs").size(), c.toString());
            assertEquals(2, c.get("prefillMs").size(), c.toString());
            assertTrue(c.get("decodeMsPerToken").asDouble() > 0, "--decode 2 measures decode: " + c);
            double ratio = c.get("peerPrefillRatio").asDouble();
            double peerSeconds = c.get("length").asInt() == 128 ? 0.002 : 0.004;
            assertEquals(c.get("medianPrefillMs").asDouble() / 1000 / peerSeconds, ratio, 1e-9 * ratio, c.toString());
            if (c.get("length").asInt() == 128) {
                assertEquals(c.get("decodeMsPerToken").asDouble() / 0.5, c.get("peerDecodeRatio").asDouble(), 1e-9, c.toString());
            } else {
                assertTrue(c.get("peerDecodeRatio").isNull(), "the peer has no decode figure at 256: " + c);
            }
        }
        assertNotNull(report.get("peer"));
        assertTrue(r.out().contains("cold start (one rank job per method") && r.out().contains("against test peer (test gpu)")
                && (r.out().contains("x slower") || r.out().contains("x faster")), r.out());
    }
}
