package org.apbj.weights;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Receives the progress of a long write (synthetic models reach 16 GB). The module draws no
 * progress bar itself: a front end plugs its own in (the CLI draws one with a progress-bar
 * library); {@link #lines} is the plain fallback for logs.
 */
@FunctionalInterface
public interface ProgressListener {
    /** Called after each chunk: bytes written so far of {@code totalBytes}, the file being written. */
    void onProgress(long bytesWritten, long totalBytes, String currentFile);

    ProgressListener NONE = (written, total, file) -> {};

    /**
     * A plain line on {@code out} each time another tenth is written
     * ({@code "synthetic model: 40% of 16.06 GB, model-00002-of-00004.safetensors"}): readable in a
     * log file, no carriage returns.
     */
    static ProgressListener lines(PrintStream out, String task) {
        return new ProgressListener() {
            long lastTenth;

            @Override
            public void onProgress(long written, long total, String file) {
                long tenth = total <= 0 ? 10 : Math.min(10, written * 10 / total);
                if (tenth > lastTenth) {
                    lastTenth = tenth;
                    out.printf(Locale.ROOT, "%s: %d%% of %.2f GB, %s%n", task, tenth * 10, total / 1e9, file);
                }
            }
        };
    }
}
