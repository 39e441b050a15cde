package org.apbj.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The decoders of SentencePiece-style tokenizer.json files, as Hugging Face's decoder steps in
 * this order (Llama-2 and Mistral: all four; Yi: no Strip):
 * <ol>
 *   <li>per token, Replace steps ("▁" → " "), or Metaspace instead ("▁" → " ", dropped from
 *       the first token unless its prepend scheme is "never");</li>
 *   <li>ByteFallback: a run of {@code <0xXX>} tokens becomes its bytes read as UTF-8, or one
 *       U+FFFD per byte when they are not valid UTF-8;</li>
 *   <li>Fuse (join the tokens) and Strip (drop up to {@code stripStart} leading
 *       {@code stripContent} characters from each token: from the whole text after Fuse).</li>
 * </ol>
 * Token by token, a run of byte tokens is held back until a token that ends it (or the end).
 *
 * @param replaces        per-token replacements (empty with Metaspace)
 * @param metaspace       Metaspace's replacement character, or 0 when the Replace steps are used
 * @param metaspaceFirst  Metaspace drops the replacement character from the first token
 * @param stripWholeText  Strip comes after Fuse
 */
record SentencePieceDecoder(List<Normalizer.Replace> replaces, char metaspace, boolean metaspaceFirst,
                            boolean byteFallback, char stripContent, int stripStart, boolean stripWholeText)
        implements Decoder {

    @Override
    public Session start() {
        return new Session() {
            private final ByteArrayOutputStream run = new ByteArrayOutputStream();
            private boolean first = true;
            private int wholeTextStripLeft = stripWholeText ? stripStart : 0;

            @Override
            public String push(String token) {
                String t = rewrite(token, first);
                first = false;
                int b = byteFallback ? fallbackByte(t) : -1;
                if (b >= 0) {
                    run.write(b);
                    return "";
                }
                StringBuilder out = new StringBuilder(t.length() + 4);
                flushRun(out);
                emit(t, out);
                return out.toString();
            }

            @Override
            public String finish() {
                StringBuilder out = new StringBuilder();
                flushRun(out);
                return out.toString();
            }

            private void flushRun(StringBuilder out) {
                if (run.size() == 0) return;
                byte[] bytes = run.toByteArray();
                run.reset();
                String text = strictUtf8(bytes);
                if (text != null) emit(text, out);
                else for (int i = 0; i < bytes.length; i++) emit("\uFFFD", out);
            }

            /** One token after ByteFallback: Strip, per token or (after Fuse) at the start of the whole text. */
            private void emit(String piece, StringBuilder out) {
                int cut = 0;
                if (stripWholeText) {
                    while (cut < piece.length() && wholeTextStripLeft > 0 && piece.charAt(cut) == stripContent) {
                        cut++;
                        wholeTextStripLeft--;
                    }
                    if (cut < piece.length()) wholeTextStripLeft = 0;
                } else {
                    while (cut < piece.length() && cut < stripStart && piece.charAt(cut) == stripContent) cut++;
                }
                out.append(piece, cut, piece.length());
            }
        };
    }

    private String rewrite(String token, boolean firstToken) {
        if (metaspace != 0) {
            if (token.indexOf(metaspace) < 0) return token;
            return firstToken && metaspaceFirst ? token.replace(String.valueOf(metaspace), "")
                    : token.replace(metaspace, ' ');
        }
        for (Normalizer.Replace r : replaces) token = r.apply(token);
        return token;
    }

    /** The byte of a token {@code <0xXX>}, or -1 (as Hugging Face: six bytes, two hex digits read by Rust's u8 parser). */
    static int fallbackByte(String token) {
        if (token.length() != 6 || !token.startsWith("<0x") || token.charAt(5) != '>') return -1;
        char c3 = token.charAt(3), c4 = token.charAt(4);
        if (c3 >= 128 || c4 >= 128 || c3 == '-') return -1; // Java would also read non-ASCII digits and a minus sign
        try {
            int b = Integer.parseInt(token, 3, 5, 16);
            return b <= 0xFF ? b : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The text of valid UTF-8 bytes, or null when they are not valid. */
    private static String strictUtf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
