package org.apbj.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apbj.examples.TestModels;
import org.apbj.examples.api.Options;
import org.apbj.examples.eval.Task;
import org.apbj.parallel.strategy.Method;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bench and eval runners on their own: settings in, files and text out, no command line. */
class RunnersTest {

    private static final Options ENGINE = Options.apb().ranks(2).device("java:1").inProcess();

    @Test
    void evalRunnerGeneratesAndWritesSetsFromSettingsAlone(@TempDir Path dir) throws Exception {
        StringWriter out = new StringWriter();
        var settings = new EvalRunner.Settings(TestModels.tinyNiah(), List.of(Method.DENSE), List.of(Task.PASSKEY), List.of(512),
                2, 11, null, null, true, ENGINE, dir.resolve("e.json"), null, null);
        assertEquals(0, new EvalRunner(settings, new PrintWriter(out, true), new PrintWriter(new StringWriter())).run());
        assertTrue(out.toString().contains("set passkey"), out.toString());
        assertEquals(2, Files.readAllLines(dir.resolve("e.samples.jsonl")).size());
        JsonNode sets = new ObjectMapper().readTree(dir.resolve("e.json").toFile());
        assertTrue(sets.toString().contains("passkey"), sets.toString());
    }

    @Test
    void benchRunnerTimesOneCellFromSettingsAlone(@TempDir Path dir) throws Exception {
        StringWriter out = new StringWriter();
        var settings = new BenchRunner.Settings(TestModels.tinyNiah(), null, null, List.of(BenchVariant.of(Method.DENSE)), List.of(64), 0, 1, 0, 7,
                null, ENGINE, dir.resolve("b.json"), null);
        assertEquals(0, new BenchRunner(settings, new PrintWriter(out, true), new PrintWriter(new StringWriter())).run());
        JsonNode cells = new ObjectMapper().readTree(dir.resolve("b.json").toFile()).get("cells");
        assertEquals(1, cells.size());
        assertEquals("dense", cells.get(0).get("method").asText());
        assertEquals(1, cells.get(0).get("ranks").asInt());
        assertTrue(Files.size(dir.resolve("b.png")) > 0);
    }

    /**
     * APB on 2 ranks: the retaining heads are timed as their own category, and the share the bench
     * reports is at least the slowest rank's own share (it is the largest of the ranks'; the last
     * rank selects nothing, so its share is 0).
     */
    @Test
    void benchReportsTheRetainingHeadsAsTheirOwnCategoryAndShare(@TempDir Path dir) throws Exception {
        StringWriter out = new StringWriter();
        var settings = new BenchRunner.Settings(TestModels.tinyNiah(), null, null, List.of(BenchVariant.of(Method.APB)), List.of(256), 0, 1, 0, 7,
                null, ENGINE, dir.resolve("b.json"), null);
        assertEquals(0, new BenchRunner(settings, new PrintWriter(out, true), new PrintWriter(new StringWriter())).run());
        JsonNode cell = new ObjectMapper().readTree(dir.resolve("b.json").toFile()).get("cells").get(0);
        JsonNode b = cell.get("breakdownMs");
        assertEquals(BenchRunner.CATEGORIES, iterable(b.fieldNames()), cell.toString());
        double device = 0;
        for (String c : BenchRunner.CATEGORIES) if (!c.equals("communication")) device += b.get(c).asDouble();
        double share = cell.get("retainingShare").asDouble();
        assertTrue(share > 0 && share < 1, "rank 0 scores and selects its passing block: " + cell);
        assertTrue(share >= b.get("retaining").asDouble() / device - 1e-9, cell.toString());
        assertTrue(out.toString().contains(String.format(java.util.Locale.ROOT, "%.1f%%", 100 * share)), out.toString());
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> l = new java.util.ArrayList<>();
        it.forEachRemaining(l::add);
        return l;
    }

    @Test
    void settingsRefuseBadValuesNamingTheFlag() {
        var e = assertThrows(IllegalArgumentException.class, () -> new BenchRunner.Settings(null, "tiny", 2, List.of(BenchVariant.of(Method.APB)),
                List.of(64), -1, 1, 0, 7, null, ENGINE, Path.of("b.json"), null));
        assertTrue(e.getMessage().contains("--warmup=-1"), e.getMessage());
        var d = assertThrows(IllegalArgumentException.class, () -> new BenchRunner.Settings(null, "tiny", 2, List.of(BenchVariant.of(Method.APB)),
                List.of(64), 0, 1, -1, 7, null, ENGINE, Path.of("b.json"), null));
        assertTrue(d.getMessage().contains("--decode=-1"), d.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> new EvalRunner.Settings(TestModels.tinyNiah(), List.of(Method.APB),
                List.of(Task.PASSKEY), List.of(512), 0, 1, null, null, false, ENGINE, Path.of("e.json"), null, null));
        assertTrue(e2.getMessage().contains("--samples=0"), e2.getMessage());
    }
}
