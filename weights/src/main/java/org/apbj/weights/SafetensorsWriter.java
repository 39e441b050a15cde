package org.apbj.weights;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Writes safetensors files as a stream: the header is computed from the tensor specs alone, then
 * each tensor's bytes are produced chunk by chunk by a {@link ChunkFiller}, so memory stays
 * bounded whatever the file size. The file appears under its final name only when complete.
 */
public final class SafetensorsWriter {
    private SafetensorsWriter() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Bytes per chunk handed to a filler (a multiple of every element size). */
    public static final int CHUNK_BYTES = 8 << 20;

    /** One tensor to write. */
    public record Spec(String name, DType dtype, long[] shape) {
        public long numel() { return Tensor.numel(shape); }
        public long byteSize() { return numel() * dtype.byteSize(); }
    }

    /** Produces the bytes of a tensor, chunk by chunk. */
    @FunctionalInterface
    public interface ChunkFiller {
        /**
         * Fills {@code chunk} (little-endian) with the tensor's elements starting at element
         * {@code firstElement}; {@code chunkIndex} counts chunks within the tensor from 0.
         */
        void fill(Spec spec, long chunkIndex, long firstElement, MemorySegment chunk);
    }

    /** The header bytes (length prefix included), JSON padded with spaces to a multiple of 8 as the reference does. */
    public static byte[] header(List<Spec> specs, Map<String, String> metadata) {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = root.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Spec s : specs) {
            ObjectNode e = root.putObject(s.name());
            e.put("dtype", s.dtype().safetensorsName());
            var shape = e.putArray("shape");
            for (long d : s.shape()) shape.add(d);
            var offsets = e.putArray("data_offsets");
            offsets.add(offset);
            offset += s.byteSize();
            offsets.add(offset);
        }
        byte[] json;
        try {
            json = JSON.writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        int padded = (json.length + 7) & ~7;
        ByteBuffer out = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(json);
        while (out.hasRemaining()) out.put((byte) ' ');
        return out.array();
    }

    /** Total file size for these specs. */
    public static long fileSize(List<Spec> specs, Map<String, String> metadata) {
        return header(specs, metadata).length + specs.stream().mapToLong(Spec::byteSize).sum();
    }

    /**
     * Writes {@code file}; {@code progress} sees cumulative bytes starting at {@code progressBase}
     * out of {@code progressTotal} (so several files can share one progress bar). Chunks are
     * filled on {@code threads} threads (the filler must be thread-safe) and written in order;
     * memory use is 2·threads chunks.
     */
    public static void write(Path file, List<Spec> specs, Map<String, String> metadata, ChunkFiller filler,
                             ProgressListener progress, long progressBase, long progressTotal, int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        String fileName = file.getFileName().toString();
        List<Chunk> chunks = new ArrayList<>();
        for (Spec s : specs) {
            long chunkIndex = 0;
            for (long off = 0; off < s.byteSize(); off += CHUNK_BYTES, chunkIndex++) {
                chunks.add(new Chunk(s, chunkIndex, off / s.dtype().byteSize(), Math.min(CHUNK_BYTES, s.byteSize() - off)));
            }
        }
        int window = threads == 1 ? 1 : 2 * threads;
        ExecutorService pool = threads == 1 ? null : Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "safetensors-writer");
            t.setDaemon(true);
            return t;
        });
        try (Arena arena = Arena.ofShared();
             FileChannel ch = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] header = header(specs, metadata);
            writeFully(ch, ByteBuffer.wrap(header));
            long written = progressBase + header.length;
            ArrayDeque<MemorySegment> free = new ArrayDeque<>();
            for (int i = 0; i < window; i++) free.add(arena.allocate(CHUNK_BYTES, 64));
            ArrayDeque<Future<MemorySegment>> pending = new ArrayDeque<>();
            ArrayDeque<MemorySegment> inFlight = new ArrayDeque<>();   // the buffers behind pending, same order
            int next = 0;
            for (int done = 0; done < chunks.size(); done++) {
                while (next < chunks.size() && !free.isEmpty()) {
                    Chunk c = chunks.get(next++);
                    MemorySegment buffer = free.poll();
                    inFlight.add(buffer);
                    MemorySegment slice = buffer.asSlice(0, c.bytes());
                    Callable<MemorySegment> task = () -> {
                        filler.fill(c.spec(), c.chunkIndex(), c.firstElement(), slice);
                        return slice;
                    };
                    pending.add(pool == null ? CompletableFuture.completedFuture(task.call()) : pool.submit(task));
                }
                MemorySegment filled = await(pending.poll(), file);
                writeFully(ch, filled.asByteBuffer());
                written += filled.byteSize();
                free.add(inFlight.poll());
                progress.onProgress(written, progressTotal, fileName);
            }
            ch.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + partial + ": " + e.getMessage(), e);
        } catch (Exception e) {
            throw e instanceof RuntimeException re ? re : new IllegalStateException(e);
        } finally {
            if (pool != null) pool.shutdownNow();
        }
        try {
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rename " + partial + " to " + file + ": " + e.getMessage(), e);
        }
    }

    /** As above, on one thread. */
    public static void write(Path file, List<Spec> specs, Map<String, String> metadata, ChunkFiller filler,
                             ProgressListener progress, long progressBase, long progressTotal) {
        write(file, specs, metadata, filler, progress, progressBase, progressTotal, 1);
    }

    private record Chunk(Spec spec, long chunkIndex, long firstElement, long bytes) {}

    /** Filling one 8 MiB chunk takes milliseconds; minutes mean something is stuck. */
    private static MemorySegment await(Future<MemorySegment> f, Path file) {
        try {
            return f.get(5, TimeUnit.MINUTES);
        } catch (TimeoutException e) {
            throw new IllegalStateException("filling a chunk of " + file + " took more than 5 minutes", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing " + file, e);
        }
    }

    /** Writes small tensors given as float arrays (converted to each spec's dtype); for tests and tools. */
    public static void write(Path file, List<Spec> specs, List<float[]> values, Map<String, String> metadata) {
        if (specs.size() != values.size()) throw new IllegalArgumentException("one value array per spec");
        write(file, specs, metadata, (spec, chunkIndex, first, chunk) -> {
            float[] v = values.get(specs.indexOf(spec));
            if (v.length != spec.numel()) {
                throw new IllegalArgumentException(spec.name() + ": " + v.length + " values for " + spec.numel() + " elements");
            }
            int n = Math.toIntExact(chunk.byteSize() / spec.dtype().byteSize());
            for (int i = 0; i < n; i++) {
                float x = v[Math.toIntExact(first + i)];
                switch (spec.dtype()) {
                    case BF16 -> chunk.set(Tensor.SHORT_LE, 2L * i, Floats.floatToBf16(x));
                    case F16 -> chunk.set(Tensor.SHORT_LE, 2L * i, Floats.floatToF16(x));
                    case F32 -> chunk.set(Tensor.FLOAT_LE, 4L * i, x);
                    case I32 -> chunk.set(Tensor.INT_LE, 4L * i, (int) x);
                    case I64 -> chunk.set(Tensor.LONG_LE, 8L * i, (long) x);
                }
            }
        }, ProgressListener.NONE, 0, 0);
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }
}
