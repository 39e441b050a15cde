package org.apbj.tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The work behind {@code apbj tokenize --tokenizer DIR [--decode] [--no-special] [--add-bos]}, so
 * the command line stays a thin wrapper.
 *
 * <ul>
 *   <li>Encode (default): reads all of standard input as UTF-8 text, exactly (a trailing newline
 *       is part of the text: use {@code printf} or {@code echo -n} to leave it out), and prints the
 *       ids space-separated on one line.</li>
 *   <li>{@code --decode}: reads whitespace-separated ids and prints the decoded text and a newline.</li>
 *   <li>{@code --add-bos}: add what Hugging Face's {@code add_special_tokens=True} adds (the
 *       post-processor's template: {@code <|begin_of_text|>} for Llama-3); where the template adds
 *       nothing but tokenizer_config.json names a {@code bos_token} (tiny-niah: {@code <|bos|>}),
 *       prepend that. A tokenizer with neither (Qwen-2.5) has no BOS and gets none. Without the
 *       flag, as {@code add_special_tokens=False}.</li>
 *   <li>{@code --no-special}: when encoding, special-token strings in the text are ordinary text
 *       (HF {@code split_special_tokens=True}); when decoding, special tokens are left out (HF
 *       {@code skip_special_tokens=True}).</li>
 * </ul>
 */
public final class TokenizeCommand {
    private TokenizeCommand() {}

    public static void run(Path tokenizerDir, boolean decode, boolean noSpecial, boolean addBos,
                           InputStream in, PrintStream out) throws IOException {
        Tokenizer tokenizer = Tokenizer.load(tokenizerDir);
        byte[] input = in.readAllBytes();
        if (decode) {
            if (addBos) throw new IllegalArgumentException("--add-bos applies to encoding only; leave it out with --decode");
            out.println(tokenizer.decode(parseIds(new String(input, StandardCharsets.US_ASCII)), noSpecial));
        } else {
            int[] ids = tokenizer.encode(strictUtf8(input), false, !noSpecial);
            if (addBos) ids = withBos(tokenizer, ids);
            StringBuilder line = new StringBuilder(ids.length * 6);
            for (int i = 0; i < ids.length; i++) {
                if (i > 0) line.append(' ');
                line.append(ids[i]);
            }
            out.println(line);
        }
        out.flush();
    }

    static int[] withBos(Tokenizer tokenizer, int[] ids) {
        int[] templated = tokenizer.addSpecialTokens(ids);
        if (templated.length > ids.length || tokenizer.bosId().isEmpty()) return templated;
        int[] out = new int[ids.length + 1];
        out[0] = tokenizer.bosId().getAsInt();
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    static int[] parseIds(String text) {
        String trimmed = text.strip();
        if (trimmed.isEmpty()) return new int[0];
        return Arrays.stream(trimmed.split("\\s+")).mapToInt(s -> {
            try {
                return Integer.parseInt(s);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--decode expects token ids separated by white space, but got \"" + s + "\"");
            }
        }).toArray();
    }

    private static String strictUtf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("standard input is not valid UTF-8 text (" + e.getMessage()
                    + "); convert it first, e.g. with iconv -t UTF-8");
        }
    }
}
