package org.apbj.tokenizer;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the repository's tiny-niah model and the shared real tokenizers for tests. */
final class TestFiles {
    private TestFiles() {}

    /** The repository root: the nearest folder upwards from the working directory holding models/tiny-niah. */
    static Path repositoryRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("models/tiny-niah"))) p = p.getParent();
        if (p == null) throw new IllegalStateException("no folder above " + Path.of("").toAbsolutePath() + " contains models/tiny-niah");
        return p;
    }

    static Path tinyNiah() {
        return repositoryRoot().resolve("models/tiny-niah");
    }

    /** The shared folder (system property apbj.shared, default: "shared" beside the repository root). */
    static Path shared() {
        String prop = System.getProperty("apbj.shared");
        return prop != null ? Path.of(prop) : repositoryRoot().resolveSibling("shared");
    }

    /** shared/tokenizers/{name}, or the test is skipped when it is not there. */
    static Path sharedTokenizer(String name) {
        Path dir = shared().resolve("tokenizers").resolve(name);
        assumeTrue(Files.isRegularFile(dir.resolve("tokenizer.json")),
                "skipped: real tokenizer " + dir + " is absent (set -Dapbj.shared=<folder holding tokenizers/>)");
        return dir;
    }

    static Path vectors() {
        Path dir = shared().resolve("tokenizers/vectors");
        assumeTrue(Files.isDirectory(dir), "skipped: tokenizer vectors " + dir + " are absent (set -Dapbj.shared)");
        return dir;
    }
}
