package org.apbj.tokenizer;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Unreadable or unsupported tokenizer files give exceptions that name the problem and the fix. */
class LoadErrorsTest {
    @TempDir
    Path dir;

    private Path tinyWith(String from, String to) throws IOException {
        String json = Files.readString(TestFiles.tinyNiah().resolve("tokenizer.json"));
        if (!json.contains(from)) throw new IllegalStateException("tiny-niah tokenizer.json no longer contains " + from);
        Path file = Files.createTempDirectory(dir, "t").resolve("tokenizer.json");
        Files.writeString(file, json.replace(from, to));
        return file;
    }

    private static void assertMessage(Path file, String... parts) {
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> Tokenizer.load(file));
        for (String p : parts) assertTrue(e.getMessage().contains(p), () -> "message lacks \"" + p + "\": " + e.getMessage());
    }

    @Test
    void missingFile() {
        assertMessage(dir, "tokenizer.json", dir.toString());
    }

    @Test
    void notJson() throws IOException {
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, "{ \"model\": ");
        assertMessage(file, "not valid JSON");
    }

    @Test
    void unsupportedNormalizer() throws IOException {
        assertMessage(tinyWith("\"normalizer\": null", "\"normalizer\": {\"type\": \"Lowercase\"}"), "normalizer", "Lowercase", "NFC");
    }

    @Test
    void unsupportedModel() throws IOException {
        assertMessage(tinyWith("\"type\": \"BPE\"", "\"type\": \"WordPiece\""), "WordPiece", "BPE");
    }

    @Test
    void mergeOutsideTheVocabulary() throws IOException {
        assertMessage(tinyWith("\"merges\": [\n      [\n        \"h\",", "\"merges\": [\n      [\n        \"\u00e9\u00e9\","),
                "merge 0", "\u00e9\u00e9", "not in the vocabulary");
    }

    @Test
    void decoderStepsOutOfOrderAreRefused() throws IOException {
        String byteLevel = "\"decoder\": {\n    \"type\": \"ByteLevel\"";
        assertMessage(tinyWith(byteLevel, "\"decoder\": {\"type\": \"Sequence\", \"decoders\": [{\"type\": \"Fuse\"},"
                + " {\"type\": \"ByteFallback\"}]}, \"unused\": {\"type\": \"ByteLevel\""), "ByteFallback", "position 1", "Strip");
        assertMessage(tinyWith(byteLevel, "\"decoder\": {\"type\": \"Strip\", \"content\": \" \", \"start\": 0, \"stop\": 1},"
                + " \"unused\": {\"type\": \"ByteLevel\""), "Strip", "stop 0");
    }

    @Test
    void unknownTokenOutsideTheVocabularyIsRefused() throws IOException {
        // Without a ByteLevel pre-tokenizer the model starts from characters and needs its unk_token.
        Path file = tinyWith("\"unk_token\": null", "\"unk_token\": \"<nope>\"");
        String json = Files.readString(file);
        int start = json.indexOf("\"pre_tokenizer\"");
        int end = json.indexOf("\"post_processor\"");
        Files.writeString(file, json.substring(0, start) + "\"pre_tokenizer\": null,\n  " + json.substring(end));
        assertMessage(file, "unk_token", "<nope>", "not in the vocabulary");
    }

    @Test
    void truncationIsRefused() throws IOException {
        assertMessage(tinyWith("\"truncation\": null", "\"truncation\": {\"max_length\": 8}"), "truncation");
    }

    @Test
    void regexShorthandWithDifferentMeaning() throws IOException {
        String regex = "\"Regex\": \"(?i:'s|";
        assertMessage(tinyWith(regex, "\"Regex\": \"\\\\h|(?i:'s|"), "\\h", "hexadecimal");
    }
}
