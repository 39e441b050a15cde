package org.apbj.examples.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Text files the user names: read as UTF-8, with errors that name the flag, the file and the fix. */
public final class TextFiles {
    private TextFiles() {}

    /**
     * The text of {@code file}, given as {@code flag} (e.g. "--prompt-file"): it must be a
     * readable regular file of UTF-8 text; the error for other bytes names their offset.
     */
    public static String readUtf8(Path file, String flag) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(flag + " " + file + " is not a readable file"
                    + (Files.isDirectory(file) ? " (it is a directory)" : " (no such file)"));
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(flag + " " + file + " cannot be read: " + e.getMessage(), e);
        }
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = d.decode(in, out, true);
        if (r.isError()) {
            int at = in.position();
            throw new IllegalArgumentException(flag + " " + file + " is not UTF-8 text: byte 0x"
                    + String.format("%02X", bytes[at] & 0xff) + " at offset " + at + " does not start a UTF-8 character;"
                    + " convert the file, e.g. iconv -f latin1 -t utf-8");
        }
        d.flush(out);
        return out.flip().toString();
    }
}
