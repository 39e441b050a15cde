package org.apbj.examples.report;

import java.io.PrintWriter;
import org.apbj.weights.ProgressListener;

/**
 * The weights module's {@link ProgressListener} (bytes of a long write) shown as a {@link Progress}:
 * the bar starts at the first report, when the total is known. Close it when the write is over.
 */
public final class ByteProgress implements ProgressListener, AutoCloseable {
    private final PrintWriter err;
    private final String task;
    private final Progress.Mode mode;
    private Progress progress;

    public ByteProgress(PrintWriter err, String task) { this(err, task, Progress.Mode.detect()); }

    public ByteProgress(PrintWriter err, String task, Progress.Mode mode) {
        this.err = err;
        this.task = task;
        this.mode = mode;
    }

    @Override
    public synchronized void onProgress(long bytesWritten, long totalBytes, String currentFile) {
        if (progress == null) progress = Progress.start(err, task, totalBytes, mode, true);
        progress.stepTo(bytesWritten, currentFile);
    }

    @Override
    public synchronized void close() {
        if (progress != null) progress.close();
    }
}
