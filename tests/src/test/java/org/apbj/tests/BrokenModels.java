package org.apbj.tests;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Model directories broken on purpose, built from the embedded tiny model in a test's folder:
 * unchanged files are links to the originals, changed ones are edited copies.
 */
final class BrokenModels {
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> FILES = List.of("config.json", "generation_config.json", "model.safetensors",
            "retaining_heads.safetensors", "tokenizer.json", "tokenizer_config.json");

    private BrokenModels() {}

    /** A working copy of {@code tiny} in {@code dir} (links), to be broken by the other methods. */
    static Path copy(Path tiny, Path dir) {
        try {
            Files.createDirectories(dir);
            for (String f : FILES) Files.createSymbolicLink(dir.resolve(f), tiny.resolve(f).toAbsolutePath());
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** config.json edited as a JSON object. */
    static void config(Path dir, Consumer<ObjectNode> edit) {
        try {
            ObjectNode c = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
            edit.accept(c);
            write(dir.resolve("config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(c));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Replaces {@code file} (a link or a file) with {@code bytes}. */
    static void write(Path file, byte[] bytes) {
        try {
            Files.deleteIfExists(file);
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void write(Path file, String text) { write(file, text.getBytes(StandardCharsets.UTF_8)); }

    static void delete(Path file) {
        try {
            Files.delete(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A safetensors file's header as JSON and its data section. */
    record Safetensors(ObjectNode header, byte[] data) {
        static Safetensors read(Path file) {
            byte[] all = BrokenModels.read(file);
            long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            try {
                ObjectNode h = (ObjectNode) JSON.readTree(Arrays.copyOfRange(all, 8, 8 + (int) n));
                return new Safetensors(h, Arrays.copyOfRange(all, 8 + (int) n, all.length));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        byte[] bytes() {
            try {
                return bytes(JSON.writeValueAsBytes(header));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** The file with {@code json} as its header bytes (length prefix to match) and this data. */
        byte[] bytes(byte[] json) {
            ByteBuffer b = ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(json.length).put(json).put(data);
            return b.array();
        }

        ObjectNode tensor(String name) { return (ObjectNode) header.get(name); }
    }

    /** {@code dir/file} (a link to the tiny model's) rewritten with its header edited. */
    static void editHeader(Path dir, String file, Consumer<Safetensors> edit) {
        Safetensors s = Safetensors.read(dir.resolve(file));
        edit.accept(s);
        write(dir.resolve(file), s.bytes());
    }

    /** The first {@code fraction} of {@code dir/file}'s bytes only. */
    static void truncate(Path dir, String file, double fraction) {
        byte[] all = read(dir.resolve(file));
        write(dir.resolve(file), Arrays.copyOf(all, (int) (all.length * fraction)));
    }

    /** {@code dir/file} with its first 8 bytes (the header length) replaced by {@code length}. */
    static void headerLength(Path dir, String file, long length) {
        byte[] all = read(dir.resolve(file));
        ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).putLong(0, length);
        write(dir.resolve(file), all);
    }
}
