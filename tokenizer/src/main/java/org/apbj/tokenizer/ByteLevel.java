package org.apbj.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * GPT-2's reversible map between bytes and printable characters ("bytes_to_unicode"), used by
 * byte-level BPE vocabularies: every vocabulary entry is a string of these characters, one per
 * byte of the UTF-8 text it stands for (a space is 'Ġ', a newline 'Ċ').
 */
final class ByteLevel {
    private static final char[] BYTE_TO_CHAR = new char[256];
    /** Indexed by character; -1 where the character stands for no byte. */
    private static final int[] CHAR_TO_BYTE = new int[324];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + extra++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {}

    static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The byte-level string of UTF-8 bytes: the form vocabulary entries are written in. */
    static String toByteLevel(byte[] utf8) {
        char[] chars = new char[utf8.length];
        for (int i = 0; i < utf8.length; i++) chars[i] = BYTE_TO_CHAR[utf8[i] & 0xFF];
        return new String(chars);
    }

    static String toByteLevel(String text) {
        return toByteLevel(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Appends the bytes a token stands for, as the ByteLevel decoder does: each character maps
     * back to its byte; a token holding any character outside the map (an added token such as
     * one with a plain space) contributes its own UTF-8 bytes instead.
     */
    static void appendTokenBytes(String token, ByteArrayOutputStream out) {
        int n = token.length();
        for (int i = 0; i < n; i++) {
            char c = token.charAt(i);
            if (c >= CHAR_TO_BYTE.length || CHAR_TO_BYTE[c] < 0) {
                out.writeBytes(token.getBytes(StandardCharsets.UTF_8));
                return;
            }
        }
        for (int i = 0; i < n; i++) out.write(CHAR_TO_BYTE[token.charAt(i)]);
    }
}
