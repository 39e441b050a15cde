package org.apbj.examples.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ChartOutputTest {

    @Test
    void aRuntimeWithoutJavaDesktopGetsOneWarningLine() {
        StringWriter err = new StringWriter();
        boolean written = ChartOutput.write(new PrintWriter(err), "bench", Path.of("b.png"), Path.of("b.json"), png -> {
            throw new NoClassDefFoundError("java/awt/Color");
        });
        assertFalse(written);
        assertEquals(1, err.toString().lines().count(), err.toString());
        assertEquals("apbj bench: warning: no chart written to b.png (NoClassDefFoundError: java/awt/Color,"
                + " this Java runtime lacks the java.desktop module); the results are in b.json", err.toString().strip());
    }

    @Test
    void theMissingClassIsNamedAsTheJvmReportedIt() {
        Throwable t = new NoClassDefFoundError("java/awt/image/RenderedImage");
        t.initCause(new ClassNotFoundException("java.awt.image.RenderedImage"));
        assertEquals("NoClassDefFoundError: java/awt/image/RenderedImage, this Java runtime lacks the java.desktop module",
                ChartOutput.describe(new IllegalStateException("wrapped", t)));
    }

    @Test
    void anyOtherFailureNamesItsRootCauseOnOneLine() {
        StringWriter err = new StringWriter();
        assertFalse(ChartOutput.write(new PrintWriter(err), "eval", Path.of("e.png"), Path.of("e.json"), png -> {
            throw new IllegalStateException("outer", new RuntimeException("Fontconfig head is null,\ncheck your fonts"));
        }));
        assertTrue(err.toString().contains("(RuntimeException: Fontconfig head is null, check your fonts)"), err.toString());
        assertEquals(1, err.toString().lines().count(), err.toString());

        StringWriter quiet = new StringWriter();
        assertTrue(ChartOutput.write(new PrintWriter(quiet), "eval", Path.of("e.png"), Path.of("e.json"), png -> {}));
        assertEquals("", quiet.toString());
    }
}
