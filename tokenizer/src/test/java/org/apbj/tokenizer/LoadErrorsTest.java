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
    void truncationIsRefused() throws IOException {
        assertMessage(tinyWith("\"truncation\": null", "\"truncation\": {\"max_length\": 8}"), "truncation");
    }

    @Test
    void regexShorthandWithDifferentMeaning() throws IOException {
        String regex = "\"Regex\": \"(?i:'s|";
        assertMessage(tinyWith(regex, "\"Regex\": \"\\\\h|(?i:'s|"), "\\h", "hexadecimal");
    }
}
