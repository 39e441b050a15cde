package org.apbj.kernels.runtime;

import java.nio.file.Path;

/**
 * The device's own compiler rejected generated code (OpenCL C build failure, PTX JIT failure).
 * The message holds the driver's log; {@link #sourceFile()} is where the code was written for
 * inspection.
 */
public class KernelBuildException extends RuntimeException {
    private final String log;
    private final Path sourceFile;

    public KernelBuildException(String message, String log, Path sourceFile) {
        super(message + "\n--- build log ---\n" + log + "\n--- source written to " + sourceFile + " ---");
        this.log = log;
        this.sourceFile = sourceFile;
    }

    public String log() { return log; }

    /** The code the device rejected, dumped to a temporary file; null if it could not be written. */
    public Path sourceFile() { return sourceFile; }

    /** Writes {@code source} to a temporary file for the error message; null when that fails too. */
    public static Path dump(String prefix, String suffix, String source) {
        try {
            Path p = java.nio.file.Files.createTempFile(prefix, suffix);
            java.nio.file.Files.writeString(p, source);
            return p;
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }
}
