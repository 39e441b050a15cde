package org.apbj.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Byte-level BPE starts from one symbol per UTF-8 byte of the piece (GPT-2, Llama-3, Qwen). */
final class ByteLevelAlphabet implements BpeAlphabet {
    private final int[] byteIds = new int[256];

    ByteLevelAlphabet(Map<String, Integer> vocab, String source) {
        for (int b = 0; b < 256; b++) {
            Integer id = vocab.get(String.valueOf(ByteLevel.charOf(b)));
            if (id == null) {
                throw new TokenizerFormatException(source + ": the byte-level vocabulary has no entry for byte 0x"
                        + Integer.toHexString(b) + " ('" + ByteLevel.charOf(b) + "'), so some text could not be encoded;"
                        + " only byte-level BPE vocabularies covering all 256 bytes are supported");
            }
            byteIds[b] = id;
        }
    }

    @Override
    public int[] symbols(String piece) {
        byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) ids[i] = byteIds[bytes[i] & 0xFF];
        return ids;
    }

    @Override
    public String vocabularyForm(String piece) {
        return ByteLevel.toByteLevel(piece);
    }
}
