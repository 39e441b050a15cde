package org.apbj.weights;

/** Receives the progress of a long write (synthetic models reach 16 GB). */
@FunctionalInterface
public interface ProgressListener {
    /** Called after each chunk: bytes written so far of {@code totalBytes}, the file being written. */
    void onProgress(long bytesWritten, long totalBytes, String currentFile);

    ProgressListener NONE = (written, total, file) -> {};
}
