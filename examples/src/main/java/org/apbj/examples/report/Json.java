package org.apbj.examples.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** JSON output of the commands (records serialize by their components). */
public final class Json {
    private Json() {}

    public static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper COMPACT = new ObjectMapper();

    public static void write(Path file, Object value) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        MAPPER.writeValue(file.toFile(), value);
    }

    /** One line of JSON (for JSON-lines logs). */
    public static String line(Object value) {
        try {
            return COMPACT.writeValueAsString(value);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise " + value.getClass().getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    /** {@code base} with its extension replaced: (out.json, ".png") -> out.png. */
    public static Path sibling(Path base, String extension) {
        String name = base.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return base.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + extension);
    }
}
