package org.apbj.weights;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A safetensors file, memory-mapped read-only and validated on open (see {@link SafetensorsHeader}).
 * Tensors are views into the mapping; they stay valid until {@link #close()}.
 */
public final class SafetensorsFile implements AutoCloseable {
    private final Path path;
    private final Arena arena;
    private final boolean ownsArena;
    private final SafetensorsHeader header;
    private final Map<String, Tensor> tensors;

    private SafetensorsFile(Path path, Arena arena, boolean ownsArena, SafetensorsHeader header, MemorySegment mapped) {
        this.path = path;
        this.arena = arena;
        this.ownsArena = ownsArena;
        this.header = header;
        Map<String, Tensor> map = new LinkedHashMap<>();
        for (SafetensorsHeader.Entry e : header.entries().values()) {
            MemorySegment view = mapped.asSlice(header.dataStart() + e.begin(), e.byteSize());
            map.put(e.name(), new Tensor(e.name(), e.dtype(), e.shape(), view, path.getFileName().toString()));
        }
        this.tensors = Collections.unmodifiableMap(map);
    }

    /** Maps and validates {@code file} in a new shared arena that {@link #close()} releases. */
    public static SafetensorsFile open(Path file) {
        Arena arena = Arena.ofShared();
        try {
            return open(file, arena, true);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Maps and validates {@code file} in the caller's arena (the caller closes it; close() then does nothing). */
    public static SafetensorsFile open(Path file, Arena arena) {
        return open(file, arena, false);
    }

    private static SafetensorsFile open(Path file, Arena arena, boolean ownsArena) {
        String name = file.toString();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            byte[] prefix = mapped.asSlice(0, Math.min(8, size)).toArray(ValueLayout.JAVA_BYTE);
            SafetensorsHeader header = SafetensorsHeader.parse(prefix, size,
                    n -> mapped.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE), name);
            return new SafetensorsFile(file, arena, ownsArena, header, mapped);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read safetensors file " + name + ": " + e, e);
        }
    }

    public Path path() { return path; }

    /** The header's "__metadata__" strings (empty if none). */
    public Map<String, String> metadata() { return header.metadata(); }

    /** Tensor names in header order. */
    public Set<String> names() { return tensors.keySet(); }

    public boolean contains(String name) { return tensors.containsKey(name); }

    /** All tensors in header order. */
    public List<Tensor> tensors() { return new ArrayList<>(tensors.values()); }

    /** The tensor called {@code name}; fails naming the file if it has none. */
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new WeightsFormatException(path + ": no tensor named " + name + " (the file has " + tensors.size()
                    + " tensors)");
        }
        return t;
    }

    @Override
    public void close() {
        if (ownsArena && arena.scope().isAlive()) arena.close();
    }
}
