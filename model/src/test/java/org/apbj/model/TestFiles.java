package org.apbj.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.apbj.kernels.api.KernelMath;

/**
 * Test helpers: the repository's tiny-niah folder, and (until the weights module's reader is
 * on main) a minimal safetensors reader for BF16 / F32 / I32 tensors.
 */
public final class TestFiles {
    private TestFiles() {}

    /** models/tiny-niah, found by walking up from the working directory. */
    public static Path tinyNiah() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            Path candidate = dir.resolve("models").resolve("tiny-niah");
            if (Files.isDirectory(candidate)) return candidate;
            dir = dir.getParent();
        }
        throw new IllegalStateException("models/tiny-niah not found above " + Path.of("").toAbsolutePath());
    }

    /** A tensor widened to float (I32 tensors are converted value by value). */
    public record Tensor(String dtype, long[] shape, float[] floats, int[] ints) {}

    public static Map<String, Tensor> readSafetensors(Path file) {
        try {
            byte[] all = Files.readAllBytes(file);
            ByteBuffer buf = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
            long headerLen = buf.getLong(0);
            JsonNode header = new ObjectMapper().readTree(new String(all, 8, (int) headerLen, java.nio.charset.StandardCharsets.UTF_8));
            int dataStart = 8 + (int) headerLen;
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (var it = header.fields(); it.hasNext(); ) {
                var e = it.next();
                if (e.getKey().equals("__metadata__")) continue;
                JsonNode t = e.getValue();
                String dtype = t.get("dtype").asText();
                long[] shape = new long[t.get("shape").size()];
                for (int i = 0; i < shape.length; i++) shape[i] = t.get("shape").get(i).asLong();
                int begin = dataStart + t.get("data_offsets").get(0).asInt();
                int end = dataStart + t.get("data_offsets").get(1).asInt();
                switch (dtype) {
                    case "BF16" -> {
                        float[] f = new float[(end - begin) / 2];
                        for (int i = 0; i < f.length; i++) f[i] = KernelMath.bf16ToFloat(buf.getShort(begin + 2 * i));
                        out.put(e.getKey(), new Tensor(dtype, shape, f, null));
                    }
                    case "F32" -> {
                        float[] f = new float[(end - begin) / 4];
                        for (int i = 0; i < f.length; i++) f[i] = buf.getFloat(begin + 4 * i);
                        out.put(e.getKey(), new Tensor(dtype, shape, f, null));
                    }
                    case "I32" -> {
                        int[] v = new int[(end - begin) / 4];
                        for (int i = 0; i < v.length; i++) v[i] = buf.getInt(begin + 4 * i);
                        out.put(e.getKey(), new Tensor(dtype, shape, null, v));
                    }
                    default -> throw new IllegalArgumentException(file + ": tensor " + e.getKey() + " has unsupported dtype " + dtype);
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
