package org.apbj.kernels.jit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.TreeMap;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * A digest of the compiler's own class files (package {@code org.apbj.kernels.jit} and below),
 * read once from wherever they were loaded (a classes directory or a jar). Part of every cache
 * key, so that kernels compiled by one build of the compiler are never loaded by another.
 */
final class CompilerFingerprint {
    private CompilerFingerprint() {}

    private static final String PACKAGE = "org/apbj/kernels/jit/";

    private static volatile String value;

    static String get() {
        String v = value;
        if (v == null) value = v = compute();
        return v;
    }

    private static String compute() {
        try {
            Path source = Path.of(CompilerFingerprint.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            TreeMap<String, byte[]> classes = new TreeMap<>();
            if (Files.isDirectory(source)) {
                Path root = source.resolve(PACKAGE);
                try (Stream<Path> files = Files.walk(root)) {
                    for (Path f : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                        classes.put(root.relativize(f).toString().replace('\\', '/'), Files.readAllBytes(f));
                    }
                }
            } else {
                try (JarFile jar = new JarFile(source.toFile())) {
                    for (var e : java.util.Collections.list(jar.entries())) {
                        if (!e.getName().startsWith(PACKAGE) || !e.getName().endsWith(".class")) continue;
                        try (InputStream in = jar.getInputStream(e)) {
                            classes.put(e.getName(), in.readAllBytes());
                        }
                    }
                }
            }
            if (classes.isEmpty()) throw new IllegalStateException("no compiler classes found under " + source);
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (var e : classes.entrySet()) {
                md.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                md.update(e.getValue());
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (IOException e) {
            throw new UncheckedIOException("reading the compiler's classes for the kernel cache key", e);
        } catch (URISyntaxException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("the kernel cache key cannot fingerprint the compiler: " + e, e);
        }
    }
}
