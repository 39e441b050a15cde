package org.apbj.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Added tokens with every flag (lstrip, rstrip, single_word, normalized, special or not, one a
 * prefix of another) in a variant of the tiny-niah tokenizer with an NFC normalizer, against
 * Hugging Face on random strings built around them.
 */
class AddedTokenFlagsTest {
    private static final String[] TOKENS = {"<L>", "<R>", "word", "\u00e9t\u00e9", "<|over", "<|overlap|>", "<S>"};
    private static final String[] FILLERS = {" ", "  ", "\t", "\n", "a", "s", "_", "1", "e\u0301", "\u00e9", "t", "x y", ".", "<|", "|>", "\u00a0"};

    @TempDir
    Path dir;

    @Test
    void randomStringsAroundFlaggedTokensMatchReference() throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = (ObjectNode) json.readTree(TestFiles.tinyNiah().resolve("tokenizer.json").toFile());
        ArrayNode added = (ArrayNode) root.path("added_tokens");
        addToken(added, 2048, "<L>", true, true, false, false, false);
        addToken(added, 2049, "<R>", false, false, true, false, false);
        addToken(added, 2050, "word", false, false, false, true, false);
        addToken(added, 2051, "\u00e9t\u00e9", false, false, false, false, true);
        addToken(added, 2052, "<|over", true, false, false, false, false);
        addToken(added, 2053, "<|overlap|>", true, false, false, false, false);
        addToken(added, 2054, "<S>", true, true, true, true, false);
        ObjectNode nfc = root.putObject("normalizer").put("type", "NFC");
        assertEquals("NFC", nfc.path("type").asText());
        Path file = dir.resolve("tokenizer.json");
        json.writeValue(file.toFile(), root);

        Tokenizer ours = Tokenizer.load(file);
        Random random = new Random(5);
        try (HuggingFaceTokenizer reference = HuggingFaceTokenizer.newInstance(file, Map.of("truncation", "false", "padding", "false"))) {
            for (int i = 0; i < 3000; i++) {
                StringBuilder sb = new StringBuilder();
                for (int k = 1 + random.nextInt(10); k > 0; k--) {
                    sb.append(random.nextInt(3) == 0 ? TOKENS[random.nextInt(TOKENS.length)] : FILLERS[random.nextInt(FILLERS.length)]);
                }
                String text = sb.toString();
                int[] expected = Arrays.stream(reference.encode(text, false, false).getIds()).mapToInt(Math::toIntExact).toArray();
                int[] actual = ours.encode(text);
                assertArrayEquals(expected, actual, () -> ReferenceOracleTest.escape(text) + " expected " + Arrays.toString(expected) + " got " + Arrays.toString(actual));
                long[] ids = Arrays.stream(actual).asLongStream().toArray();
                assertEquals(reference.decode(ids, false), ours.decode(actual), () -> "decode of " + ReferenceOracleTest.escape(text));
                assertEquals(reference.decode(ids, true), ours.decode(actual, true), () -> "decode skipping specials of " + ReferenceOracleTest.escape(text));
            }
        }
    }

    @Test
    void unparsedSpecialTokenHidesTokensInsideIt() {
        // With special tokens not parsed, HF still finds the leftmost-longest added token and then
        // skips it when special, resuming after it: a non-special token inside stays text too.
        AddedToken special = new AddedToken(10, "<|ab|>", true, false, false, false, false);
        AddedToken plain = new AddedToken(11, "ab", false, false, false, false, false);
        AddedTokenMatcher matcher = new AddedTokenMatcher(java.util.List.of(special, plain));
        StringBuilder seen = new StringBuilder();
        AddedTokenMatcher.Sink sink = new AddedTokenMatcher.Sink() {
            @Override
            public void text(String text, int start, int end) {
                seen.append('[').append(text, start, end).append(']');
            }

            @Override
            public void token(AddedToken token) {
                seen.append('#').append(token.id());
            }
        };
        matcher.split("x<|ab|>ab", false, sink);
        assertEquals("[x<|ab|>]#11", seen.toString());
        seen.setLength(0);
        matcher.split("x<|ab|>ab", true, sink);
        assertEquals("[x]#10#11", seen.toString());
    }

    private static void addToken(ArrayNode added, int id, String content, boolean special, boolean lstrip, boolean rstrip,
                                 boolean singleWord, boolean normalized) {
        added.addObject().put("id", id).put("content", content).put("single_word", singleWord).put("lstrip", lstrip)
                .put("rstrip", rstrip).put("normalized", normalized).put("special", special);
    }
}
