package org.apbj.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextFilesTest {

    @Test
    void readsUtf8AndNamesTheFlagTheFileAndTheOffsetOtherwise(@TempDir Path dir) throws Exception {
        Path ok = Files.writeString(dir.resolve("ok.txt"), "naïve café ✓");
        assertEquals("naïve café ✓", TextFiles.readUtf8(ok, "--prompt-file"));
        Path latin = Files.write(dir.resolve("l.txt"), "ab\u00e9".getBytes(StandardCharsets.ISO_8859_1));
        var e = assertThrows(IllegalArgumentException.class, () -> TextFiles.readUtf8(latin, "--prompt-file"));
        assertTrue(e.getMessage().startsWith("--prompt-file " + latin + " is not UTF-8 text: byte 0xE9 at offset 2"), e.getMessage());
        var missing = assertThrows(IllegalArgumentException.class, () -> TextFiles.readUtf8(dir.resolve("no.txt"), "--dataset"));
        assertTrue(missing.getMessage().contains("--dataset") && missing.getMessage().contains("no such file"), missing.getMessage());
        var folder = assertThrows(IllegalArgumentException.class, () -> TextFiles.readUtf8(dir, "--dataset"));
        assertTrue(folder.getMessage().contains("it is a directory"), folder.getMessage());
    }
}
