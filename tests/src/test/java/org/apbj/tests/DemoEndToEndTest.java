package org.apbj.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ./apbj demo on the embedded tiny model: APB on 4 in-process ranks and dense, both answering. */
class DemoEndToEndTest {

    @Test
    void printsTheGroundTruthAndBothPredictionsAndDenseFindsThePassKey(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("demo.json");
        Cli r = Cli.run("demo", "--in-process", "--device", Cli.device(), "--length", "640", "--ranks", "4",
                "--seed", "3", "--max-new-tokens", "8", "--out", json.toString());
        assertEquals(0, r.status(), r.toString());

        Matcher truth = Pattern.compile("(?m)^Ground Truth: (\\d{5})$").matcher(r.out());
        assertTrue(truth.find(), r.toString());
        String key = truth.group(1);
        List<String> predictions = new ArrayList<>();
        Matcher p = Pattern.compile("(?m)^Prediction: (.*)$").matcher(r.out());
        while (p.find()) predictions.add(p.group(1));
        assertEquals(2, predictions.size(), r.toString());
        assertTrue(r.out().indexOf("[apb, 4 ranks") < r.out().indexOf("[dense, 1 rank"), r.out());
        assertTrue(predictions.get(1).contains(key), "dense must find the pass key " + key + ": " + r);
        assertEquals(2, Pattern.compile("(?m)^Prefill time: \\d+\\.\\d{3} s").matcher(r.out()).results().count(), r.out());

        JsonNode report = new ObjectMapper().readTree(json.toFile());
        assertEquals(key, report.get("groundTruth").asText());
        assertEquals("apb", report.get("methods").get(0).get("method").asText());
        assertEquals(4, report.get("methods").get(0).get("ranks").asInt());
        assertEquals(predictions.get(0), report.get("methods").get(0).get("prediction").asText().strip());
        assertTrue(report.get("methods").get(1).get("correct").asBoolean());
        assertTrue(report.get("methods").get(0).get("prefillMs").asDouble() > 0);
        int n = report.get("contextTokens").asInt() + report.get("queryTokens").asInt();
        assertTrue(Math.abs(n - 640) <= 7, "prompt of " + n + " tokens");
    }
}
