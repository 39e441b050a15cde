package org.apbj.weights;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/** Malformed safetensors files: each is refused with a message naming the file, tensor and numbers. */
class CorruptSafetensorsTest {
    @TempDir
    Path dir;

    /** An 8-byte little-endian length, the JSON, then {@code dataBytes} zero bytes. */
    static byte[] raw(long headerLength, String json, int dataBytes) {
        byte[] j = json.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + j.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(headerLength).put(j).array();
    }

    static byte[] raw(String json, int dataBytes) {
        return raw(json.getBytes(StandardCharsets.UTF_8).length, json, dataBytes);
    }

    private Path file(byte[] bytes) throws IOException {
        Path f = dir.resolve("t.safetensors");
        Files.write(f, bytes);
        return f;
    }

    private String failure(byte[] bytes) throws IOException {
        Path f = file(bytes);
        WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> SafetensorsFile.open(f).close());
        assertTrue(e.getMessage().contains(f.toString()), "message names the file: " + e.getMessage());
        return e.getMessage();
    }

    private static final String TWO = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
            + "\"b\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[24,32]}}";

    @Test
    void validFileReadsBackItsValues() throws IOException {
        byte[] bytes = raw(TWO, 32);
        ByteBuffer data = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int base = bytes.length - 32;
        for (int i = 0; i < 6; i++) data.putFloat(base + 4 * i, i * 1.5f - 2f);
        short[] bf = {(short) 0x3f80, (short) 0xc000, (short) 0x4049, (short) 0x0000};   // 1, -2, 3.140625, 0
        for (int i = 0; i < 4; i++) data.putShort(base + 24 + 2 * i, bf[i]);
        try (SafetensorsFile f = SafetensorsFile.open(file(bytes))) {
            Tensor a = f.tensor("a");
            assertArrayEquals(new long[] {2, 3}, a.shape());
            assertArrayEquals(new float[] {-2f, -0.5f, 1f, 2.5f, 4f, 5.5f}, a.toFloatArray());
            assertArrayEquals(new float[] {2.5f, 4f, 5.5f}, a.row(1));
            assertArrayEquals(new float[] {1f, -2f, 3.140625f, 0f}, f.tensor("b").toFloatArray());
            WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> f.tensor("c"));
            assertTrue(e.getMessage().contains("no tensor named c"), e.getMessage());
        }
    }

    @Test
    void fileShorterThanTheLengthPrefix() throws IOException {
        assertTrue(failure(new byte[] {1, 2, 3}).contains("file is 3 bytes, shorter than the 8-byte header length prefix"));
    }

    @Test
    void headerLengthPastTheEndOfTheFile() throws IOException {
        String msg = failure(raw(5000, TWO, 32));
        int fileSize = 8 + TWO.length() + 32;
        assertTrue(msg.contains("header length 5000 runs past the end of the file (" + fileSize + " bytes"), msg);
    }

    @Test
    void headerLengthAboveTheSafetensorsLimit() throws IOException {
        assertTrue(failure(raw(-1L, TWO, 32)).contains("header length 18446744073709551615 is larger than the safetensors limit"));
    }

    @Test
    void headerLengthShorterThanTheJson() throws IOException {
        // The header ends mid-object: the JSON is cut, and the rest counts as data.
        String msg = failure(raw(30, TWO, 32));
        assertTrue(msg.contains("header is not valid JSON"), msg);
    }

    @Test
    void headerIsNotJson() throws IOException {
        String msg = failure(raw("{\"a\": {\"dtype\": F32}}", 0));
        assertTrue(msg.contains("header is not valid JSON: Unrecognized token 'F32'"), msg);
    }

    @Test
    void headerDoesNotStartWithABrace() throws IOException {
        assertTrue(failure(raw("[1, 2, 3]", 0)).contains("header does not start with '{' (found byte 0x5b)"));
    }

    @Test
    void duplicateTensorName() throws IOException {
        String json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        String msg = failure(raw(json, 8));
        assertTrue(msg.contains("header is not valid JSON: Duplicate field 'a'"), msg);
    }

    @Test
    void overlappingOffsets() throws IOException {
        String json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}";
        assertTrue(failure(raw(json, 24)).endsWith("tensors a [0, 16] and b [8, 24] overlap in the data section"));
    }

    @Test
    void gapBetweenTensors() throws IOException {
        String json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}";
        assertTrue(failure(raw(json, 20)).endsWith("data section bytes [8, 12) belong to no tensor (gap before tensor b)"));
    }

    @Test
    void trailingBytesAfterTheLastTensor() throws IOException {
        String msg = failure(raw(TWO, 40));
        assertTrue(msg.contains("the data section has 40 bytes but the tensors cover 32"), msg);
    }

    @Test
    void shapeTimesDtypeSizeDiffersFromTheByteRange() throws IOException {
        // F16 [2, 3] is 12 bytes, the offsets span 24 (as if the writer had used 4-byte elements).
        String json = "{\"a\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,24]}}";
        String msg = failure(raw(json, 24));
        assertTrue(msg.endsWith("tensor a: shape [2, 3] x F16 (2 bytes each) needs 12 bytes, but data_offsets [0, 24] span 24"), msg);
    }

    @Test
    void offsetsPastTheEndOfTheFile() throws IOException {
        String msg = failure(raw(TWO, 30));
        assertTrue(msg.endsWith("tensor b: data_offsets [24, 32] end past the data section, which has 30 bytes (file truncated?)"), msg);
    }

    @Test
    void truncatedFile() throws IOException {
        byte[] whole = raw(TWO, 32);
        String msg = failure(Arrays.copyOf(whole, whole.length - 20));
        assertTrue(msg.contains("tensor a: data_offsets [0, 24] end past the data section, which has 12 bytes"), msg);
    }

    @Test
    void offsetsEndBeforeTheyBegin() throws IOException {
        String json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}";
        assertTrue(failure(raw(json, 8)).endsWith("tensor a: data_offsets [8, 0] end before they begin"));
    }

    @Test
    void unsupportedDtype() throws IOException {
        String json = "{\"w\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}}";
        String msg = failure(raw(json, 16));
        assertTrue(msg.startsWith("unsupported dtype F64 in tensor w of " + dir.resolve("t.safetensors")), msg);
        assertTrue(msg.contains("apbj reads BF16, F16, F32, I32, I64"), msg);
    }

    @Test
    void missingShape() throws IOException {
        String json = "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}";
        assertTrue(failure(raw(json, 8)).endsWith("tensor w: missing or non-array \"shape\""));
    }

    @Test
    void negativeDimension() throws IOException {
        String json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}";
        assertTrue(failure(raw(json, 8)).endsWith("tensor w: \"shape\" element 0 must be a non-negative integer, found -2"));
    }

    @Test
    void metadataMustBeStrings() throws IOException {
        String json = "{\"__metadata__\":{\"format\":1}}";
        assertTrue(failure(raw(json, 0)).endsWith("__metadata__.format must be a string, found NUMBER"));
    }
}
