package org.apbj.examples.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository root: -Dapbj.root (set by ./apbj), else the nearest folder above the working directory holding models/tiny-niah. */
public final class RepoRoot {
    public static final String TINY_MODEL = "models/tiny-niah";

    private RepoRoot() {}

    public static Path find() {
        String prop = System.getProperty("apbj.root");
        if (prop != null && !prop.isBlank()) {
            Path root = Path.of(prop).toAbsolutePath().normalize();
            if (!Files.isDirectory(root.resolve(TINY_MODEL))) {
                throw new IllegalArgumentException("-Dapbj.root=" + prop + " has no " + TINY_MODEL
                        + "; point it at the apbj repository root (./apbj sets it)");
            }
            return root;
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve(TINY_MODEL))) return p;
        }
        throw new IllegalArgumentException("cannot find the repository root (a folder with " + TINY_MODEL
                + ") above " + Path.of("").toAbsolutePath() + "; run through ./apbj or pass -Dapbj.root=DIR");
    }

    /** The embedded tiny model's directory. */
    public static Path tinyModel() { return find().resolve(TINY_MODEL); }
}
