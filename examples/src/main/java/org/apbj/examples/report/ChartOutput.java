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

    /**
     * "NoClassDefFoundError: java/awt/Color, this Java runtime lacks the java.desktop module" and the
     * like: a missing class as the JVM reported it, else the root cause.
     */
    static String describe(Throwable t) {
        Throwable shown = null, root = t;
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (shown == null && c instanceof LinkageError) shown = c;
            root = c;
        }
        if (shown == null) shown = root;
        String what = shown.getClass().getSimpleName() + (shown.getMessage() == null ? "" : ": " + shown.getMessage().strip());
        boolean missingClass = shown instanceof LinkageError || shown instanceof ClassNotFoundException;
        if (missingClass && what.matches("(?s).*\\b(java|javax)[/.](awt|imageio)\\b.*")) {
            what += ", this Java runtime lacks the java.desktop module";
        }
        return what.replaceAll("\\s*\\R\\s*", " ");
    }
}
