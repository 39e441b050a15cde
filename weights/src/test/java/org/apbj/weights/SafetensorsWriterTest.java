package org.apbj.weights;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The streaming writer: header layout, multi-chunk tensors, thread-count independence. */
class SafetensorsWriterTest {
    @TempDir
    Path tmp;

    // 2.5 chunks, 1 chunk exactly, a small one: exercises partial last chunks and boundaries.
    private static final List<SafetensorsWriter.Spec> SPECS = List.of(
            new SafetensorsWriter.Spec("big", DType.BF16, new long[] {5, SafetensorsWriter.CHUNK_BYTES / 4}),
            new SafetensorsWriter.Spec("exact", DType.BF16, new long[] {SafetensorsWriter.CHUNK_BYTES / 2}),
            new SafetensorsWriter.Spec("small", DType.BF16, new long[] {3, 7}));

    private static final SafetensorsWriter.ChunkFiller RANDOM = (spec, chunkIndex, first, chunk) ->
            RandomWeights.fillBf16(RandomWeights.tensorSeed(9, spec.name()), chunkIndex, chunk, 0.02f);

    @Test
    void bytesDoNotDependOnTheThreadCount() throws IOException {
        Path one = tmp.resolve("one.safetensors"), three = tmp.resolve("three.safetensors");
        long total = SafetensorsWriter.fileSize(SPECS, Map.of());
        long[] last = new long[1];
        SafetensorsWriter.write(one, SPECS, Map.of(), RANDOM, ProgressListener.NONE, 0, total, 1);
        SafetensorsWriter.write(three, SPECS, Map.of(), RANDOM, (w, t, f) -> last[0] = w, 0, total, 3);
        assertEquals(total, Files.size(one));
        assertEquals(total, last[0]);
        assertEquals(-1, Files.mismatch(one, three));
        assertFalse(Files.exists(tmp.resolve("one.safetensors.partial")));
        try (SafetensorsFile f = SafetensorsFile.open(three)) {
            assertEquals(List.of("big", "exact", "small"), List.copyOf(f.names()));
            // Chunk 2 of "big" starts at element 2·CHUNK_BYTES/2: regenerating that chunk alone gives the same bytes.
            Tensor big = f.tensor("big");
            try (var arena = java.lang.foreign.Arena.ofConfined()) {
                var chunk = arena.allocate(SafetensorsWriter.CHUNK_BYTES / 2);
                RandomWeights.fillBf16(RandomWeights.tensorSeed(9, "big"), 2, chunk, 0.02f);
                assertEquals(-1, chunk.mismatch(big.segment().asSlice(2L * SafetensorsWriter.CHUNK_BYTES,
                        SafetensorsWriter.CHUNK_BYTES / 2)));
            }
        }
    }

    @Test
    void headerIsPaddedJsonWithContiguousOffsets() {
        byte[] h = SafetensorsWriter.header(SPECS, Map.of("format", "pt"));
        long n = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(h.length - 8, n);
        assertEquals(0, n % 8);
        String json = new String(h, 8, (int) n, StandardCharsets.UTF_8);
        long big = 5L * SafetensorsWriter.CHUNK_BYTES / 2;
        assertTrue(json.startsWith("{\"__metadata__\":{\"format\":\"pt\"},\"big\":{\"dtype\":\"BF16\",\"shape\":[5,"
                + SafetensorsWriter.CHUNK_BYTES / 4 + "],\"data_offsets\":[0," + big + "]}"), json);
        assertTrue(json.contains("\"small\":{\"dtype\":\"BF16\",\"shape\":[3,7],\"data_offsets\":["
                + (big + SafetensorsWriter.CHUNK_BYTES) + "," + (big + SafetensorsWriter.CHUNK_BYTES + 42) + "]}"), json);
        assertTrue(json.endsWith("}") || json.stripTrailing().endsWith("}"));
    }

    @Test
    void fillerFailureLeavesNoFile() {
        Path f = tmp.resolve("x.safetensors");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> SafetensorsWriter.write(f, SPECS,
                Map.of(), (spec, ci, first, chunk) -> {
                    if (spec.name().equals("exact")) throw new IllegalStateException("boom");
                }, ProgressListener.NONE, 0, 0, 2));
        assertEquals("boom", e.getMessage());
        assertFalse(Files.exists(f));
    }
}
