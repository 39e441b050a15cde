package org.apbj.examples.report;

import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * Writes a command's chart after its JSON, so a chart failure never costs the results: any
 * failure (no java.desktop module in the Java runtime, no usable fonts, an unwritable file) is
 * one warning line with its cause, and the command still succeeds.
 *
 * <p>This class names no java.awt or XChart type, so it loads on a runtime without java.desktop;
 * the chart code runs only inside {@link #write}.
 */
public final class ChartOutput {
    private ChartOutput() {}

    /** Draws and writes the chart to the path it is given. */
    @FunctionalInterface
    public interface Drawing {
        void writeTo(Path png) throws Exception;
    }

    /**
     * Runs {@code drawing}; on failure prints {@code apbj COMMAND: warning: no chart written (CAUSE);
     * the results are in RESULTS} on {@code err}.
     *
     * @return whether the chart was written
     */
    public static boolean write(PrintWriter err, String command, Path png, Path results, Drawing drawing) {
        try {
            drawing.writeTo(png);
            return true;
        } catch (Throwable t) { // a chart is an extra: nothing it throws may end the command
            err.println("apbj " + command + ": warning: no chart written to " + png + " (" + describe(t) + "); the results are in "
                    + results);
            err.flush();
            return false;
        }
    }

    /** "NoClassDefFoundError: java/awt/Color, this Java runtime lacks the java.desktop module" and the like. */
    static String describe(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        String what = root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage().strip());
        if (root instanceof LinkageError && String.valueOf(root.getMessage()).matches("(?s).*\\b(java[/.]awt|javax[/.]imageio).*")) {
            what += ", this Java runtime lacks the java.desktop module";
        }
        return what.replaceAll("\\s*\\R\\s*", " ");
    }
}
