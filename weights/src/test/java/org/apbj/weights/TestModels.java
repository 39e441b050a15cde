package org.apbj.weights;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the repository's embedded test model from a test's working directory. */
final class TestModels {
    private TestModels() {}

    /**
     * The folder of real tokenizers and other files that may not be copied into the project: the
     * system property apbj.shared, else "shared" beside the repository root; null if absent.
     */
    static Path shared() {
        String p = System.getProperty("apbj.shared");
        Path dir = p != null ? Path.of(p) : tinyNiah().getParent().getParent().resolveSibling("shared");
        return Files.isDirectory(dir) ? dir : null;
    }

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
