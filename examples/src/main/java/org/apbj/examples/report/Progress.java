package org.apbj.examples.report;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongFunction;
import java.util.function.Supplier;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarRenderer;
import me.tongfei.progressbar.ProgressBarStyle;
import me.tongfei.progressbar.ProgressState;
import org.apbj.weights.ProgressListener;

/**
 * Progress of a long step on stderr, kept by {@code me.tongfei:progressbar}. On a terminal it is
 * one bar redrawn in place; anywhere else (stderr redirected to a file or a pipe) it is a plain
 * line each time another tenth is done, so a log stays readable:
 * <pre>
 * bench: 50% (4/8) ring 32k, 1m05s elapsed, ETA 1m05s
 * </pre>
 * {@code ./apbj} says which with {@code -Dapbj.progress=terminal|lines|off} (from {@code test -t 2});
 * without it, the JVM's console decides ({@link java.io.Console#isTerminal()}).
 */
public final class Progress implements AutoCloseable {
    public static final String MODE_PROPERTY = "apbj.progress";

    /** How progress is shown. */
    public enum Mode {
        /** a bar redrawn in place with carriage returns */
        TERMINAL,
        /** a plain line every 10% */
        LINES,
        /** nothing */
        OFF;

        /** From {@value #MODE_PROPERTY}, else whether this JVM's console is a terminal. */
        public static Mode detect() {
            String p = System.getProperty(MODE_PROPERTY);
            if (p != null && !p.isBlank()) {
                try {
                    return valueOf(p.strip().toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("APBJ_PROGRESS (-D" + MODE_PROPERTY + ") takes terminal, lines or off, got '" + p + "'");
                }
            }
            java.io.Console c = System.console();
            return c != null && c.isTerminal() ? TERMINAL : LINES;
        }
    }

    private final ProgressBar bar; // null when OFF
    private final TerminalLine terminalLine; // null unless on a terminal
    private final String separator; // between the library's suffix and our message
    private final AtomicReference<String> lastDone;

    private Progress(ProgressBar bar, TerminalLine terminalLine, String separator, AtomicReference<String> lastDone) {
        this.bar = bar;
        this.terminalLine = terminalLine;
        this.separator = separator;
        this.lastDone = lastDone;
    }

    /** Progress over {@code total} steps (samples, runs, …) named {@code task}, shown as {@link Mode#detect()} says. */
    public static Progress start(PrintWriter err, String task, long total) {
        return start(err, task, total, Mode.detect(), false);
    }

    /** As {@link #start(PrintWriter, String, long)} with an explicit mode; {@code bytes}: the steps are bytes (shown as MB/GB). */
    public static Progress start(PrintWriter err, String task, long total, Mode mode, boolean bytes) {
        AtomicReference<String> lastDone = new AtomicReference<>("");
        if (mode == Mode.OFF) return new Progress(null, null, "", lastDone);
        ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(task).setInitialMax(Math.max(1, total));
        if (mode == Mode.TERMINAL) {
            TerminalLine line = new TerminalLine(err);
            b.setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).continuousUpdate().setConsumer(line);
            if (bytes) b.setUnit(" MB", 1_000_000).showSpeed();
            // the bar ends "(elapsed / ETA) " then, with bytes, the speed: a space after that
            return new Progress(b.build(), line, bytes ? " " : "", lastDone);
        }
        b.setUpdateIntervalMillis(500).setConsumer(new Lines(err))
                .setRenderer(new TenthsRenderer(bytes ? Progress::bytes : Long::toString, lastDone::get));
        return new Progress(b.build(), null, "", lastDone);
    }

    /** Shows {@code message} beside the bar (what is running now) without advancing; plain lines show only steps. */
    public Progress message(String message) {
        if (terminalLine != null) bar.setExtraMessage(separator + message);
        return this;
    }

    /** One more step done; {@code message} says which (a plain line names the last step done). */
    public Progress step(String message) {
        lastDone.set(message);
        if (bar != null) message(message).bar.step();
        return this;
    }

    /** {@code done} steps done in all. */
    public Progress stepTo(long done, String message) {
        lastDone.set(message);
        if (bar != null) message(message).bar.stepTo(done);
        return this;
    }

    /**
     * Shows {@code running} as the message and returns a listener for its weights loading, which
     * adds how far that is ("apb 32k loading 40%", then "apb 32k running"); the engine reports
     * it once per rank job (the model loads once for all the job's requests).
     */
    public ProgressListener loading(String running) {
        message(running);
        return (done, total, part) -> message(done < total
                ? running + " loading " + (total == 0 ? 100 : done * 100 / total) + "%"
                : running + " running");
    }

    /** Stops the bar after a last redraw (waits for it). */
    @Override
    public void close() {
        if (bar == null) return;
        bar.close();
        // closed before its first redraw ran, the library draws once and skips the consumer's close
        if (terminalLine != null) terminalLine.close();
    }

    // ---- output ----------------------------------------------------------------------------

    /** The bar on a terminal: redrawn in place on {@code err}, ended by a newline. */
    private static final class TerminalLine extends DelegatingProgressBarConsumer {
        private final PrintWriter err;
        private boolean ended;

        TerminalLine(PrintWriter err) {
            super(line -> {
                err.print("\r" + line);
                err.flush();
            }, terminalWidth() - 1);
            this.err = err;
        }

        private static int terminalWidth() {
            // the library's own measure of the terminal (80 where it cannot tell)
            return new DelegatingProgressBarConsumer(line -> {}).getMaxRenderedLength();
        }

        @Override
        public synchronized void close() {
            if (ended) return;
            ended = true;
            err.println();
            err.flush();
        }
    }

    /** Whole lines; the renderer leaves a line empty when no new tenth is done. */
    private record Lines(PrintWriter err) implements ProgressBarConsumer {
        @Override
        public int getMaxRenderedLength() { return Integer.MAX_VALUE; }

        @Override
        public void accept(String line) {
            if (line.isEmpty()) return;
            err.println(line);
            err.flush();
        }

        @Override
        public void clear() {}

        @Override
        public void close() { err.flush(); }
    }

    /** "task: 40% (4/10) message, 12s elapsed, ETA 18s", once per tenth done. */
    static final class TenthsRenderer implements ProgressBarRenderer {
        private final LongFunction<String> amount;
        private final Supplier<String> lastDone;
        private int lastTenth;

        TenthsRenderer(LongFunction<String> amount, Supplier<String> lastDone) {
            this.amount = amount;
            this.lastDone = lastDone;
        }

        @Override
        public String render(ProgressState s, int maxLength) {
            long max = Math.max(1, s.getMax()), done = Math.min(s.getCurrent(), max);
            int tenth = (int) (done * 10 / max);
            if (tenth <= lastTenth) return "";
            lastTenth = tenth;
            Duration elapsed = s.getTotalElapsed();
            StringBuilder b = new StringBuilder(s.getTaskName()).append(": ").append(done * 100 / max).append("% (")
                    .append(amount.apply(done)).append('/').append(amount.apply(max)).append(')');
            String msg = lastDone.get();
            if (msg != null && !msg.isBlank()) b.append(' ').append(msg.strip());
            b.append(", ").append(duration(elapsed)).append(" elapsed");
            if (done > 0 && done < max) b.append(", ETA ").append(duration(elapsed.multipliedBy(max - done).dividedBy(done)));
            return b.toString();
        }
    }

    static String duration(Duration d) {
        long s = Math.round(d.toMillis() / 1000.0);
        if (s >= 3600) return String.format(Locale.ROOT, "%dh%02dm%02ds", s / 3600, s / 60 % 60, s % 60);
        return s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : s + "s";
    }

    static String bytes(long n) {
        return n >= 1e9 ? String.format(Locale.ROOT, "%.2f GB", n / 1e9) : String.format(Locale.ROOT, "%.1f MB", n / 1e6);
    }
}
