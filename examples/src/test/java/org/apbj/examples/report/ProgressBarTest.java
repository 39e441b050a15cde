package org.apbj.examples.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
    @Test
    void drawsFilledShareAndEta() {
        StringWriter buf = new StringWriter();
        ProgressBar bar = new ProgressBar(new PrintWriter(buf, true), 4, true);
        bar.step("a");
        String line = bar.line("apb 32k", 10_000_000_000L);
        assertTrue(line.startsWith("[" + "#".repeat(7) + ".".repeat(23) + "] 1/4 apb 32k"), line);
        assertTrue(line.endsWith("ETA 30s"), line);
        assertEquals("1m05s", ProgressBar.duration(65_000_000_000L));
        bar.finish();
        assertTrue(buf.toString().contains("1/4 a"));
    }

    @Test
    void disabledBarPrintsNothing() {
        StringWriter buf = new StringWriter();
        ProgressBar bar = new ProgressBar(new PrintWriter(buf, true), 2, false);
        bar.step("x");
        bar.finish();
        assertEquals("", buf.toString());
    }
}
