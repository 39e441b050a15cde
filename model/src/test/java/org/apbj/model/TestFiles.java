package org.apbj.model;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the repository's test model lives. */
public final class TestFiles {
    private TestFiles() {}

    /** models/tiny-niah, found by walking up from the working directory. */
    public static Path tinyNiah() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            Path candidate = dir.resolve("models").resolve("tiny-niah");
            if (Files.isDirectory(candidate)) return candidate;
            dir = dir.getParent();
        }
        throw new IllegalStateException("models/tiny-niah not found above " + Path.of("").toAbsolutePath());
    }
}
