package org.apbj.weights;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the repository's embedded test model from a test's working directory. */
final class TestModels {
    private TestModels() {}

    /** models/tiny-niah, found by walking up from the working directory. */
    static Path tinyNiah() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            Path candidate = d.resolve("models").resolve("tiny-niah");
            if (Files.isDirectory(candidate)) return candidate;
        }
        throw new IllegalStateException("models/tiny-niah not found above " + dir);
    }
}
