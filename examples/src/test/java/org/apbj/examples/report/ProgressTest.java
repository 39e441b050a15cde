package org.apbj.examples.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import org.apbj.weights.ProgressListener;
import org.junit.jupiter.api.Test;

class ProgressTest {

    @Test
    void withoutATerminalItPrintsAPlainLinePerTenthDone() throws Exception {
        StringWriter buf = new StringWriter();
        try (Progress p = Progress.start(new PrintWriter(buf), "bench", 8, Progress.Mode.LINES, false)) {
            p.message("apb 4k (model load + 2 runs)");
            for (int i = 0; i < 4; i++) p.step("apb " + (4 << i) + "k done");
            awaitText(buf, "50% (4/8)"); // the library renders on its own thread, every 500 ms
            for (int i = 0; i < 4; i++) p.step("ring " + (4 << i) + "k done");
        }
        String out = buf.toString();
        assertFalse(out.contains("\r"), out);
        List<String> lines = out.lines().toList();
        assertTrue(lines.size() >= 2 && lines.size() <= 10, out);
        assertTrue(lines.getFirst().startsWith("bench: 50% (4/8) apb 32k done, "), out);
        assertTrue(lines.getFirst().contains(" elapsed, ETA "), out);
        assertTrue(lines.getLast().startsWith("bench: 100% (8/8) ring 32k done, "), out);
        assertFalse(lines.getLast().contains("ETA"), out);
    }

    @Test
    void onATerminalItRedrawsOneBarAndEndsTheLine() {
        StringWriter buf = new StringWriter();
        try (Progress p = Progress.start(new PrintWriter(buf), "eval", 3, Progress.Mode.TERMINAL, false)) {
            for (int i = 0; i < 3; i++) p.step("sample " + i);
        }
        String out = buf.toString();
        assertTrue(out.startsWith("\r") && out.endsWith(System.lineSeparator()), out);
        assertTrue(out.contains("eval") && out.contains("3/3"), out);
    }

    @Test
    void weightsLoadingShowsBesideTheBar() throws Exception {
        StringWriter buf = new StringWriter();
        try (Progress p = Progress.start(new PrintWriter(buf), "bench", 2, Progress.Mode.TERMINAL, false)) {
            ProgressListener load = p.loading("apb 32k");
            load.onProgress(50, 100, "layer 3");
            awaitText(buf, ") apb 32k loading 50%"); // redrawn every 250 ms on the library's thread
            load.onProgress(100, 100, "layer 7");
            awaitText(buf, ") apb 32k running");
            p.step("apb 32k done");
        }
        String out = buf.toString();
        assertTrue(out.contains(") apb 32k loading 50%"), out);
        assertTrue(out.contains(") apb 32k running"), out);
    }

    @Test
    void offPrintsNothing() {
        StringWriter buf = new StringWriter();
        try (Progress p = Progress.start(new PrintWriter(buf), "x", 2, Progress.Mode.OFF, false)) {
            p.step("a").step("b");
        }
        assertEquals("", buf.toString());
    }

    @Test
    void bytesOfAWeightsWriteShowAsGigabytes() {
        StringWriter buf = new StringWriter();
        try (ByteProgress p = new ByteProgress(new PrintWriter(buf), "synthetic model", Progress.Mode.LINES)) {
            ProgressListener l = p;
            l.onProgress(0, 2_000_000_000L, "model.safetensors");
            l.onProgress(2_000_000_000L, 2_000_000_000L, "retaining_heads.safetensors");
        }
        assertTrue(buf.toString().startsWith("synthetic model: 100% (2.00 GB/2.00 GB) retaining_heads.safetensors, "), buf.toString());
    }

    @Test
    void modeComesFromThePropertyTheLauncherSets() {
        String before = System.getProperty(Progress.MODE_PROPERTY);
        try {
            System.setProperty(Progress.MODE_PROPERTY, "lines");
            assertEquals(Progress.Mode.LINES, Progress.Mode.detect());
            System.setProperty(Progress.MODE_PROPERTY, "terminal");
            assertEquals(Progress.Mode.TERMINAL, Progress.Mode.detect());
        } finally {
            if (before == null) System.clearProperty(Progress.MODE_PROPERTY);
            else System.setProperty(Progress.MODE_PROPERTY, before);
        }
        assertEquals("1m05s", Progress.duration(Duration.ofSeconds(65)));
        assertEquals("1h01m05s", Progress.duration(Duration.ofSeconds(3665)));
    }

    /** Waits for the library's render thread to have written {@code text} (a loaded machine can take seconds). */
    private static void awaitText(StringWriter buf, String text) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!buf.toString().contains(text) && System.nanoTime() < deadline) Thread.sleep(20);
    }
}
