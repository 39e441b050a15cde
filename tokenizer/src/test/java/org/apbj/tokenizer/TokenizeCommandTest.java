package org.apbj.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TokenizeCommandTest {
    private static final Path TINY = TestFiles.tinyNiah();

    private static String run(Path dir, String stdin, boolean decode, boolean noSpecial, boolean addBos) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            TokenizeCommand.run(dir, decode, noSpecial, addBos, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), out);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void encodesToOneLineOfIdsAndDecodesBack() throws IOException {
        // From golden/tokenizer_cases.json: "Hello, world!" -> these ids.
        assertEquals("44 301 80 83 16 272 311 1560 5\n", run(TINY, "Hello, world!", false, false, false));
        assertEquals("Hello, world!\n", run(TINY, "44 301 80 83 16 272 311 1560 5\n", true, false, false));
    }

    @Test
    void specialTokensAreParsedUnlessNoSpecial() throws IOException {
        assertEquals("0 2 44\n", run(TINY, "<|bos|><|user|>H", false, false, false));
        String asText = run(TINY, "<|bos|>", false, true, false).strip();
        int[] ids = Arrays.stream(asText.split(" ")).mapToInt(Integer::parseInt).toArray();
        assertTrue(ids.length > 1 && Arrays.stream(ids).noneMatch(id -> id < 5), asText);
        assertEquals("<|bos|>\n", run(TINY, asText, true, false, false));
        // Decoding: --no-special leaves special tokens out.
        assertEquals("<|bos|>H\n", run(TINY, "0 44", true, false, false));
        assertEquals("H\n", run(TINY, "0 44", true, true, false));
    }

    @Test
    void addBosAddsTheModelsBos() throws IOException {
        Path llama = TestFiles.sharedTokenizer("llama3");
        // "Hello" is 9906 in Llama-3 (llama.cpp vectors); the post-processor prepends 128000.
        assertEquals("128000 9906\n", run(llama, "Hello", false, false, true));
        assertEquals("9906\n", run(llama, "Hello", false, false, false));
        // tiny-niah has no post-processor; its tokenizer_config.json names <|bos|> (id 0).
        assertEquals("0 44\n", run(TINY, "H", false, false, true));
        // Qwen-2.5 has no BOS token at all: nothing is added, as in HF.
        Path qwen = TestFiles.sharedTokenizer("qwen2_5");
        assertEquals(run(qwen, "Hello", false, false, false), run(qwen, "Hello", false, false, true));
    }

    @Test
    void sentencePieceTokenizersEncodeAndDecode() throws IOException {
        Path llama2 = TestFiles.sharedTokenizer("llama2");
        // "Hello" is "▁Hello" (22557) after Llama-2's dummy prefix; its post-processor prepends <s> (1).
        assertEquals("22557\n", run(llama2, "Hello", false, false, false));
        assertEquals("1 22557\n", run(llama2, "Hello", false, false, true));
        String text = "Hello  world,\n你好 😀\u0F00";
        String ids = run(llama2, text, false, false, false);
        assertEquals(text + "\n", run(llama2, ids, true, false, false));
        assertEquals("Hello\n", run(llama2, "1 22557", true, true, false));
        Path yi = TestFiles.sharedTokenizer("yi");
        // Yi has no dummy prefix and no post-processor; --add-bos prepends tokenizer_config.json's <|startoftext|> (1).
        String yiIds = run(yi, text, false, false, false);
        assertEquals(text + "\n", run(yi, yiIds, true, false, false));
        assertEquals("1 " + yiIds, run(yi, text, false, false, true));
    }

    @Test
    void badInputIsRefusedClearly() {
        IllegalArgumentException notIds = assertThrows(IllegalArgumentException.class, () -> run(TINY, "12 x3", true, false, false));
        assertTrue(notIds.getMessage().contains("x3"), notIds.getMessage());
        IllegalArgumentException outOfRange = assertThrows(IllegalArgumentException.class, () -> run(TINY, "5000", true, false, false));
        assertTrue(outOfRange.getMessage().contains("5000"), outOfRange.getMessage());
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        IllegalArgumentException notUtf8 = assertThrows(IllegalArgumentException.class, () -> TokenizeCommand.run(TINY, false, false, false,
                new ByteArrayInputStream(new byte[] {'a', (byte) 0xC3}), new PrintStream(sink)));
        assertTrue(notUtf8.getMessage().contains("UTF-8"), notUtf8.getMessage());
        assertArrayEquals(new int[0], TokenizeCommand.parseIds("  \n"));
        Tokenizer tiny = Tokenizer.load(TINY);
        IllegalArgumentException surrogate = assertThrows(IllegalArgumentException.class, () -> tiny.encode("ok \uD83D!"));
        assertTrue(surrogate.getMessage().contains("unpaired"), surrogate.getMessage());
    }
}
