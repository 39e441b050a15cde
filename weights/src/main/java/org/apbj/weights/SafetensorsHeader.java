package org.apbj.weights;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed and validated JSON header of a safetensors file.
 *
 * <p>Format: an unsigned 64-bit little-endian header length N, N bytes of UTF-8 JSON (an object
 * from tensor name to {dtype, shape, data_offsets}, plus an optional string map
 * "__metadata__"), then the data section. Offsets are relative to the data section. As in the
 * reference implementation (Hugging Face safetensors), the tensors must tile the data section
 * exactly: no overlap, no gap, nothing after the last tensor.
 *
 * @param entries    tensors in header order
 * @param dataStart  file offset of the data section (8 + N)
 */
public record SafetensorsHeader(Map<String, Entry> entries, Map<String, String> metadata, long dataStart) {

    /** Largest header accepted; the reference implementation's limit. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    /** One tensor's header entry; {@code begin}/{@code end} are data-section offsets. */
    public record Entry(String name, DType dtype, long[] shape, long begin, long end) {
        public long byteSize() { return end - begin; }
    }

    /**
     * Validates the header of a file of {@code fileSize} bytes.
     *
     * @param prefix   the file's first 8 bytes (fewer if the file is shorter)
     * @param readJson reads {@code n} bytes at file offset 8; called only once n is known to fit
     * @param file     the file name for messages
     */
    public static SafetensorsHeader parse(byte[] prefix, long fileSize, HeaderReader readJson, String file) {
        if (fileSize < 8) {
            throw new WeightsFormatException(file + ": file is " + fileSize
                    + " bytes, shorter than the 8-byte header length prefix of a safetensors file (truncated?)");
        }
        long n = 0;
        for (int i = 7; i >= 0; i--) n = (n << 8) | (prefix[i] & 0xff);
        if (n < 0 || n > MAX_HEADER_BYTES) {
            throw new WeightsFormatException(file + ": header length " + Long.toUnsignedString(n)
                    + " is larger than the safetensors limit of " + MAX_HEADER_BYTES
                    + " bytes (not a safetensors file, or a corrupted first 8 bytes)");
        }
        if (n > fileSize - 8) {
            throw new WeightsFormatException(file + ": header length " + n + " runs past the end of the file ("
                    + fileSize + " bytes, so at most " + (fileSize - 8) + " header bytes; truncated?)");
        }
        if (n < 2) {
            throw new WeightsFormatException(file + ": header length " + n + " is too small for a JSON object");
        }
        byte[] json = readJson.read(n);
        long dataSize = fileSize - 8 - n;
        return parseJson(json, dataSize, 8 + n, file);
    }

    /** Reads the header's JSON bytes. */
    @FunctionalInterface
    public interface HeaderReader {
        byte[] read(long n);
    }

    private static SafetensorsHeader parseJson(byte[] jsonBytes, long dataSize, long dataStart, String file) {
        if (jsonBytes[0] != '{') {
            throw new WeightsFormatException(file + ": header does not start with '{' (found byte 0x"
                    + Integer.toHexString(jsonBytes[0] & 0xff) + "): not a safetensors file or a wrong header length");
        }
        JsonNode root;
        try {
            root = JSON.readTree(new String(jsonBytes, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new WeightsFormatException(file + ": header is not valid JSON: " + e.getOriginalMessage()
                    + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")", e);
        }
        if (root == null || !root.isObject()) {
            throw new WeightsFormatException(file + ": header is not a JSON object");
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        Map<String, String> metadata = Map.of();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = field.getKey();
            if (name.equals("__metadata__")) {
                metadata = parseMetadata(field.getValue(), file);
            } else {
                entries.put(name, parseEntry(name, field.getValue(), dataSize, file));
            }
        }
        checkTiling(entries, dataSize, file);
        return new SafetensorsHeader(java.util.Collections.unmodifiableMap(entries), metadata, dataStart);
    }

    private static Map<String, String> parseMetadata(JsonNode node, String file) {
        if (!node.isObject()) {
            throw new WeightsFormatException(file + ": __metadata__ must be an object of strings, found " + node.getNodeType());
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (!f.getValue().isTextual()) {
                throw new WeightsFormatException(file + ": __metadata__." + f.getKey() + " must be a string, found "
                        + f.getValue().getNodeType());
            }
            out.put(f.getKey(), f.getValue().asText());
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    private static Entry parseEntry(String name, JsonNode node, long dataSize, String file) {
        String where = file + ": tensor " + name;
        if (!node.isObject()) {
            throw new WeightsFormatException(where + ": header entry must be an object with dtype, shape and data_offsets");
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new WeightsFormatException(where + ": missing or non-string \"dtype\"");
        }
        DType dtype = DType.fromSafetensors(dtypeNode.asText(), name, file);
        long[] shape = longArray(node.get("shape"), "shape", -1, where);
        long[] offsets = longArray(node.get("data_offsets"), "data_offsets", 2, where);
        long begin = offsets[0], end = offsets[1];
        if (end < begin) {
            throw new WeightsFormatException(where + ": data_offsets [" + begin + ", " + end + "] end before they begin");
        }
        if (end > dataSize) {
            throw new WeightsFormatException(where + ": data_offsets [" + begin + ", " + end
                    + "] end past the data section, which has " + dataSize + " bytes (file truncated?)");
        }
        long expectedBytes;
        try {
            expectedBytes = Math.multiplyExact(Tensor.numel(shape), dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new WeightsFormatException(where + ": shape " + Arrays.toString(shape) + " overflows 64 bits");
        }
        if (expectedBytes != end - begin) {
            throw new WeightsFormatException(where + ": shape " + Arrays.toString(shape) + " x " + dtype + " ("
                    + dtype.byteSize() + " bytes each) needs " + expectedBytes + " bytes, but data_offsets ["
                    + begin + ", " + end + "] span " + (end - begin));
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static long[] longArray(JsonNode node, String field, int requiredLength, String where) {
        if (node == null || !node.isArray()) {
            throw new WeightsFormatException(where + ": missing or non-array \"" + field + "\"");
        }
        if (requiredLength >= 0 && node.size() != requiredLength) {
            throw new WeightsFormatException(where + ": \"" + field + "\" must have " + requiredLength
                    + " elements, found " + node.size());
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
                throw new WeightsFormatException(where + ": \"" + field + "\" element " + i
                        + " must be a non-negative integer, found " + v);
            }
            out[i] = v.asLong();
        }
        return out;
    }

    private static void checkTiling(Map<String, Entry> entries, long dataSize, String file) {
        List<Entry> sorted = new ArrayList<>(entries.values());
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long covered = 0;
        Entry previous = null;
        for (Entry e : sorted) {
            if (e.begin() < covered) {
                throw new WeightsFormatException(file + ": tensors " + previous.name() + " [" + previous.begin() + ", "
                        + previous.end() + "] and " + e.name() + " [" + e.begin() + ", " + e.end()
                        + "] overlap in the data section");
            }
            if (e.begin() > covered) {
                throw new WeightsFormatException(file + ": data section bytes [" + covered + ", " + e.begin()
                        + ") belong to no tensor (gap before tensor " + e.name() + ")");
            }
            covered = e.end();
            previous = e;
        }
        if (covered != dataSize) {
            throw new WeightsFormatException(file + ": the data section has " + dataSize + " bytes but the tensors cover "
                    + covered + " (trailing bytes after the last tensor, or wrong data_offsets)");
        }
    }
}
