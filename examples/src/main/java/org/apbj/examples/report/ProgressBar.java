package org.apbj.examples.report;

import java.io.PrintWriter;
import java.util.Locale;

/** A one-line progress bar on stderr: "[#####.....] 12/40 bench apb 32k  ETA 1m05s". */
public final class ProgressBar {
    private final PrintWriter err;
    private final int total;
    private final long start = System.nanoTime();
    private final boolean enabled;
    private int done;

    public ProgressBar(PrintWriter err, int total, boolean enabled) {
        this.err = err;
        this.total = Math.max(1, total);
        this.enabled = enabled;
    }

    /** Marks one more step done and redraws with {@code label}. */
    public synchronized void step(String label) {
        done = Math.min(total, done + 1);
        draw(label);
    }

    /** Redraws without advancing (e.g. the step now starting). */
    public synchronized void show(String label) { draw(label); }

    public synchronized void finish() {
        if (enabled) err.println();
    }

    String line(String label, long elapsedNanos) {
        int width = 30, filled = width * done / total;
        String eta = "";
        if (done > 0 && done < total) {
            long remaining = elapsedNanos / done * (total - done);
            eta = "  ETA " + duration(remaining);
        }
        return "[" + "#".repeat(filled) + ".".repeat(width - filled) + "] " + done + "/" + total + " " + label + eta;
    }

    private void draw(String label) {
        if (!enabled) return;
        err.print("\r" + line(label, System.nanoTime() - start) + "\u001b[K");
        err.flush();
    }

    static String duration(long nanos) {
        long s = Math.round(nanos / 1e9);
        return s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : s + "s";
    }
}
