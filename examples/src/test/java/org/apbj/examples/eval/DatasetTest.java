package org.apbj.examples.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apbj.examples.TestModels;
import org.apbj.examples.report.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetTest {

    @Test
    void readsJsonLinesGroupedByTaskWithDefaults(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("d.jsonl");
        Files.writeString(f, """
                {"id": "a", "task": "qa", "context": "Paris is in France.", "query": "Where is Paris?", "outputs": ["France"], "metric": "part"}

                {"id": "b", "task": "pk", "context": "The pass key is 01234.", "query": "What is the pass key?", "outputs": ["01234"], "metric": "first_number", "answer_prefix": "The pass key is", "max_new_tokens": 8}
                {"id": "c", "task": "qa", "context": "x", "query": "y", "outputs": ["z", "w"], "metric": "all"}
                """);
        Map<String, List<Sample>> m = Dataset.read(f);
        assertEquals(List.of("qa", "pk"), List.copyOf(m.keySet()));
        assertEquals(2, m.get("qa").size());
        Sample b = m.get("pk").getFirst();
        assertEquals("The pass key is", b.answerPrefix());
        assertEquals(8, b.maxNewTokens());
        assertEquals(Metric.FIRST_NUMBER, b.metric());
        Sample a = m.get("qa").getFirst();
        assertEquals(Dataset.DEFAULT_MAX_NEW_TOKENS, a.maxNewTokens());
        assertEquals("", a.answerPrefix());
        assertEquals(1.0, Scoring.score(a.metric(), "It is in france.", a.outputs()));
    }

    @Test
    void badLinesNameTheLineAndTheProblem(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.jsonl");
        Files.writeString(f, "{\"id\": \"a\", \"task\": \"t\", \"context\": \"c\", \"query\": \"q\", \"outputs\": [], \"metric\": \"all\"}\n");
        var e = assertThrows(IllegalArgumentException.class, () -> Dataset.read(f));
        assertTrue(e.getMessage().contains("bad.jsonl:1") && e.getMessage().contains("outputs"), e.getMessage());
        Files.writeString(f, "{\"id\": \"a\", \"task\": \"t\", \"context\": \"c\", \"query\": \"q\", \"outputs\": [\"x\"], \"metric\": \"exact\"}\n");
        e = assertThrows(IllegalArgumentException.class, () -> Dataset.read(f));
        assertTrue(e.getMessage().contains("unknown metric 'exact'"), e.getMessage());
        Files.writeString(f, "not json\n");
        e = assertThrows(IllegalArgumentException.class, () -> Dataset.read(f));
        assertTrue(e.getMessage().contains("bad.jsonl:1"), e.getMessage());
        String line = "{\"id\": \"a\", \"task\": \"t\", \"context\": \"c\", \"query\": \"q\", \"outputs\": [\"x\"], \"metric\": \"all\"}\n";
        Files.writeString(f, line + line);
        e = assertThrows(IllegalArgumentException.class, () -> Dataset.read(f));
        assertTrue(e.getMessage().contains("duplicate id"), e.getMessage());
    }

    @Test
    void generatedSetsRoundTripWithTheSameSha256(@TempDir Path dir) throws Exception {
        SuiteGenerator g = new SuiteGenerator(TestModels.tinyNiahTokens(), Style.TINY_NIAH, 4);
        SampleSet set = g.generate(Task.NIAH_MULTIVALUE, 1500, 11, 3);
        Path f = dir.resolve("set.jsonl");
        List<String> lines = new ArrayList<>();
        for (Sample s : set.samples()) lines.add(Json.line(Dataset.toJson(s)));
        Files.write(f, lines);
        List<Sample> back = Dataset.read(f).get("niah_multivalue");
        assertEquals(set.sha256(), SampleSet.of("niah_multivalue", 0, 0, back).sha256());
    }
}
