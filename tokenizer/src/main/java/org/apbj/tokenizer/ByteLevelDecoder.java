package org.apbj.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Hugging Face's ByteLevel decoder: every token maps back to the bytes its characters stand for
 * ({@link ByteLevel}), and the bytes of the whole sequence are read as UTF-8 with U+FFFD for
 * invalid sequences. Token by token, the bytes of a character that is not complete yet (emoji
 * and CJK are often split over byte tokens) are held back until it is.
 */
final class ByteLevelDecoder implements Decoder {
    static final ByteLevelDecoder INSTANCE = new ByteLevelDecoder();

    private ByteLevelDecoder() {}

    @Override
    public Session start() {
        return new Session() {
            private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

            @Override
            public String push(String token) {
                ByteLevel.appendTokenBytes(token, pending);
                byte[] bytes = pending.toByteArray();
                int complete = bytes.length - incompleteTail(bytes);
                pending.reset();
                pending.write(bytes, complete, bytes.length - complete);
                return new String(bytes, 0, complete, StandardCharsets.UTF_8);
            }

            @Override
            public String finish() {
                String rest = pending.toString(StandardCharsets.UTF_8);
                pending.reset();
                return rest;
            }
        };
    }

    /**
     * The length of a trailing sequence that is a valid but unfinished UTF-8 character, which
     * the next bytes may complete; 0 if the bytes end on a character boundary or in an error.
     */
    static int incompleteTail(byte[] b) {
        int n = b.length;
        for (int back = 1; back <= Math.min(3, n); back++) {
            int lead = b[n - back] & 0xFF;
            if ((lead & 0xC0) == 0x80) continue; // a continuation byte: the lead is further back
            int length = lead >= 0xF0 && lead <= 0xF4 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 && lead <= 0xDF ? 2 : 1;
            if (lead > 0xF4) length = 1;
            if (length <= back) return 0;
            // The continuation bytes so far must be allowed after this lead (Unicode Table 3-7).
            if (back >= 2) {
                int second = b[n - back + 1] & 0xFF;
                int low = lead == 0xE0 ? 0xA0 : lead == 0xF0 ? 0x90 : 0x80;
                int high = lead == 0xED ? 0x9F : lead == 0xF4 ? 0x8F : 0xBF;
                if (second < low || second > high) return 0;
            }
            return back;
        }
        return 0;
    }
}
