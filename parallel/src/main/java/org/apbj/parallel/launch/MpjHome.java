package org.apbj.parallel.launch;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An MPJ Express installation: {@code lib/} with its jars and log4j-1.2.jar. Found from the
 * system property {@value #PROPERTY} (set by ./apbj), the environment variable MPJ_HOME, or
 * {@code build/mpj} under the repository root (what {@code ./apbj build} prepares).
 */
public record MpjHome(Path dir) {
    public static final String PROPERTY = "apbj.mpj.home";

    public MpjHome {
        Path lib = dir.resolve("lib");
        for (String jar : List.of("mpj.jar", "starter.jar", "smpdev.jar", "log4j-1.2.jar")) {
            if (!Files.isRegularFile(lib.resolve(jar))) {
                throw new IllegalStateException("MPJ Express home " + dir + " lacks lib/" + jar
                        + ": run './apbj build' (it prepares build/mpj) or point -D" + PROPERTY + " / MPJ_HOME at an MPJ Express installation with log4j-1.2.jar in lib/");
            }
        }
    }

    public static MpjHome locate() {
        List<Path> tried = new ArrayList<>();
        String prop = System.getProperty(PROPERTY);
        if (prop != null && !prop.isBlank()) return new MpjHome(Path.of(prop).toAbsolutePath());
        String env = System.getenv("MPJ_HOME");
        if (env != null && !env.isBlank()) {
            Path p = Path.of(env).toAbsolutePath();
            if (Files.isRegularFile(p.resolve("lib/log4j-1.2.jar"))) return new MpjHome(p);
            tried.add(p);
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path candidate = d.resolve("build/mpj");
            if (Files.isDirectory(d.resolve("models/tiny-niah")) || Files.isRegularFile(d.resolve("apbj"))) {
                if (Files.isRegularFile(candidate.resolve("lib/log4j-1.2.jar"))) return new MpjHome(candidate);
                tried.add(candidate);
                break;
            }
        }
        throw new IllegalStateException("no MPJ Express home found (tried -D" + PROPERTY + ", MPJ_HOME, build/mpj: "
                + tried + "): run './apbj build' in the repository root, or set -D" + PROPERTY);
    }

    public Path lib(String jar) { return dir.resolve("lib").resolve(jar); }

    /**
     * A jar MPJ Express' daemon needs beside its own (commons-io, commons-codec): in lib/, else in
     * the folder the installed log4j jar really lives in (where the distribution put its dependencies).
     */
    public Path dependency(String jar) {
        Path own = lib(jar);
        if (Files.isRegularFile(own)) return own;
        try {
            Path beside = lib("log4j-1.2.jar").toRealPath().getParent().resolve(jar);
            if (Files.isRegularFile(beside)) return beside;
        } catch (java.io.IOException e) {
            // fall through to the error below
        }
        throw new IllegalStateException(jar + " not found in " + dir.resolve("lib") + " nor beside the installed log4j-1.2.jar: "
                + "link it into " + dir.resolve("lib") + " (MPJ Express' daemon needs it)");
    }

    /** A value of conf/mpjexpress.conf (e.g. mpjexpress.mpjdaemon.port.1). */
    public String conf(String key) {
        Path conf = dir.resolve("conf/mpjexpress.conf");
        try {
            for (String line : Files.readAllLines(conf)) {
                String t = line.strip();
                if (t.startsWith(key + "=")) return t.substring(key.length() + 1).strip();
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + conf + ": " + e.getMessage(), e);
        }
        throw new IllegalStateException(conf + " has no " + key);
    }
}
