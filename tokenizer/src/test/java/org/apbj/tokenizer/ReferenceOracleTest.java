package org.apbj.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Differential test of the byte-level tokenizers against Hugging Face's own ({@link Oracle}):
 * ids, decodes and round trips on thousands of random strings per tokenizer, and decodes of
 * random id sequences. SentencePieceOracleTest does the same for SentencePiece-style ones.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReferenceOracleTest {
    private static final int STRINGS_PER_TOKENIZER = 2000;
    private static final int ID_SEQUENCES_PER_TOKENIZER = 300;

    private final Map<String, Oracle> references = new java.util.HashMap<>();

    @AfterAll
    void close() {
        references.values().forEach(Oracle::close);
    }

    private static Path directory(String name) {
        return name.equals("tiny-niah") ? TestFiles.tinyNiah() : TestFiles.sharedTokenizer(name);
    }

    private static Tokenizer ours(String name) {
        return name.equals("tiny-niah") ? Tokenizer.load(TestFiles.tinyNiah()) : SharedTokenizers.get(name);
    }

    private Oracle reference(String name) {
        return references.computeIfAbsent(name, n -> new Oracle(directory(n)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama3", "qwen2_5", "tiny-niah"})
    void randomStringsEncodeAndDecodeAsTheReference(String name) {
        Tokenizer tokenizer = ours(name);
        Oracle reference = reference(name);
        List<String> specials = tokenizer.addedTokens().stream().map(AddedToken::content)
                .filter(c -> !c.startsWith("<|reserved_special_token")).toList();
        RandomText random = new RandomText(name.hashCode() * 31L + 7, specials);
        boolean nfc = name.equals("qwen2_5");
        for (int i = 0; i < STRINGS_PER_TOKENIZER; i++) {
            boolean withSpecials = i % 4 == 3;
            String text = random.next(i % 10 == 9 ? 200 : 12, withSpecials);
            boolean addSpecial = i % 3 == 0;
            int[] expected = reference.encode(text, addSpecial);
            int[] actual = tokenizer.encode(text, addSpecial, true);
            assertArrayEquals(expected, actual, () -> "ids of " + escape(text) + " (add_special_tokens=" + addSpecial + ")");
            assertEquals(reference.decode(actual, false), tokenizer.decode(actual), () -> "decode of " + escape(text));
            assertEquals(reference.decode(actual, true), tokenizer.decode(actual, true), () -> "decode skipping specials of " + escape(text));
            if (!withSpecials && !addSpecial) {
                String normalized = nfc ? java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFC) : text;
                assertEquals(normalized, tokenizer.decode(actual), () -> "round trip of " + escape(text));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama3", "qwen2_5", "tiny-niah"})
    void randomIdSequencesDecodeAsTheReference(String name) {
        Tokenizer tokenizer = ours(name);
        Oracle reference = reference(name);
        java.util.Random random = new java.util.Random(name.hashCode());
        for (int i = 0; i < ID_SEQUENCES_PER_TOKENIZER; i++) {
            int[] ids = new int[1 + random.nextInt(20)];
            for (int k = 0; k < ids.length; k++) {
                // Mostly low ids: single bytes and short pieces, which split UTF-8 characters.
                ids[k] = random.nextInt(3) == 0 ? random.nextInt(tokenizer.vocabSize()) : random.nextInt(Math.min(400, tokenizer.vocabSize()));
            }
            boolean skip = random.nextBoolean();
            assertEquals(reference.decode(ids, skip), tokenizer.decode(ids, skip), () -> "decode of " + Arrays.toString(ids));
        }
    }

    @Test
    void longEnglishTextMatchesTheReference() {
        String text = BenchmarkText.english(200_000);
        // Llama-2 and Yi have no pre-tokenizer: the whole text is one BPE piece.
        for (String name : List.of("llama3", "qwen2_5", "llama2", "yi")) {
            int[] expected = reference(name).encode(text, false);
            long start = System.nanoTime();
            int[] actual = ours(name).encode(text);
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertArrayEquals(expected, actual, name);
            assertEquals(text, ours(name).decode(actual), name + " round trip");
            System.out.println(name + ": " + text.length() + " chars, " + actual.length + " tokens in " + ms + " ms");
        }
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder("\"");
        s.codePoints().forEach(cp -> {
            if (cp >= 0x20 && cp < 0x7F && cp != '"' && cp != '\\') sb.append((char) cp);
            else sb.append(String.format(cp > 0xFFFF ? "\\U%08X" : "\\u%04X", cp));
        });
        return sb.append('"').toString();
    }
}
