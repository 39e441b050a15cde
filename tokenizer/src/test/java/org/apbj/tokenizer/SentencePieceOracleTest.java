package org.apbj.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * SentencePiece-style tokenizers (Llama-2, Yi, and the variants of {@link SentencePieceFiles})
 * against Hugging Face's tokenizers: ids, decodes and round trips of fresh random strings (a new
 * seed each run, printed in every failure message; {@code -Dapbj.tokenizer.seed=N} repeats a
 * run), hand-picked edge cases, and decodes of random id sequences.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SentencePieceOracleTest {
    private static final int STRINGS_REAL = 2000;
    private static final int STRINGS_VARIANT = 500;
    private static final int ID_SEQUENCES = 300;
    private static final long SEED = Long.getLong("apbj.tokenizer.seed", new Random().nextLong());

    /** Leading, repeated and trailing spaces, newlines, byte fallback of emoji, CJK and rare scripts, "▁", special tokens. */
    static final List<String> EDGE_CASES = List.of("", " ", "  ", "   ", "a", " a", "  a", "a ", "a  ", "Hello world",
            "Hello  world", " Hello   world ", "\n", "\n\n", " \n", "\n ", "a\nb", "a \n b", "\t", "\ta\t", "\r\n",
            "😀", " 😀", "👨‍👩‍👧", "🇺🇸", "你好", "中文", " 中", "𠀀", "\u0F00\u16A0\u2C00", "é", "e\u0301", "\u0000", "\u00FF",
            "\uFFFD", "\u2581", "\u2581\u2581", " \u2581", "\u2581a", "a\u2581b", "<0x41>", "<0xE4><0xB8><0xAD>", "<unk>", "<s>",
            "</s>", "<s>Hello</s>", "<s> Hello", "Hello<s>", "Hello </s> world", "<s><s>", "<|im_start|>user\nHi<|im_end|>\n",
            "<|startoftext|>Hi", "[INST] Hi [/INST]", "1234567890", "x".repeat(300), " ".repeat(40), "\n".repeat(20));

    private final Map<String, Oracle> oracles = new HashMap<>();
    private final Map<String, Tokenizer> tokenizers = new HashMap<>();
    @TempDir
    Path tmp;

    @AfterAll
    void close() {
        oracles.values().forEach(Oracle::close);
    }

    private Tokenizer ours(String name) {
        return tokenizers.computeIfAbsent(name, n -> Tokenizer.load(SentencePieceFiles.directory(n, tmp)));
    }

    private Oracle oracle(String name) {
        return oracles.computeIfAbsent(name, n -> new Oracle(SentencePieceFiles.directory(n, tmp)));
    }

    private static String where(String name, long seed, int i, String text) {
        return name + ", seed " + seed + " (-Dapbj.tokenizer.seed=" + seed + "), case " + i + ": " + ReferenceOracleTest.escape(text);
    }

    private static String edge(String name, int i, String text) {
        return name + ", edge case " + i + ": " + ReferenceOracleTest.escape(text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama2", "yi", "yi-chat", "llama2-metaspace", "llama2-metaspace-old", "llama2-unk",
            "small-llama2", "small-yi", "small-unfused", "small-metaspace"})
    void randomStringsEncodeAndDecodeAsTheReference(String name) {
        Tokenizer tokenizer = ours(name);
        Oracle oracle = oracle(name);
        boolean real = name.equals("llama2") || name.equals("yi");
        List<String> specials = tokenizer.addedTokens().stream().map(AddedToken::content).toList();
        RandomText random = new RandomText(SEED ^ name.hashCode(), specials, true);
        int count = real ? STRINGS_REAL : STRINGS_VARIANT;
        for (int i = 0; i < count; i++) {
            boolean withSpecials = i % 4 == 3;
            String text = random.next(i % 10 == 9 ? 200 : 12, withSpecials);
            boolean addSpecial = i % 3 == 0;
            int n = i;
            int[] expected = oracle.encode(text, addSpecial);
            int[] actual = tokenizer.encode(text, addSpecial, true);
            assertArrayEquals(expected, actual, () -> "ids of " + where(name, SEED, n, text) + ", add_special_tokens=" + addSpecial);
            assertEquals(oracle.decode(actual, false), tokenizer.decode(actual), () -> "decode of " + where(name, SEED, n, text));
            assertEquals(oracle.decode(actual, true), tokenizer.decode(actual, true), () -> "decode skipping specials of " + where(name, SEED, n, text));
            if (real && !withSpecials && text.indexOf('\u2581') < 0) {
                String plain = text.replace("<s>", "").replace("</s>", "").replace("<unk>", "").replace("<|startoftext|>", "").replace("<|endoftext|>", "");
                if (plain.equals(text)) {
                    assertEquals(text, tokenizer.decode(tokenizer.encode(text)), () -> "round trip of " + where(name, SEED, n, text));
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama2", "yi", "yi-chat", "llama2-metaspace", "llama2-metaspace-old", "llama2-unk",
            "small-llama2", "small-yi", "small-unfused", "small-metaspace"})
    void edgeCasesEncodeAndDecodeAsTheReference(String name) {
        Tokenizer tokenizer = ours(name);
        Oracle oracle = oracle(name);
        for (int i = 0; i < EDGE_CASES.size(); i++) {
            String text = EDGE_CASES.get(i);
            for (boolean addSpecial : new boolean[] {false, true}) {
                int n = i;
                int[] actual = tokenizer.encode(text, addSpecial, true);
                assertArrayEquals(oracle.encode(text, addSpecial), actual,
                        () -> "ids of edge case " + where(name, 0, n, text) + ", add_special_tokens=" + addSpecial);
                assertEquals(oracle.decode(actual, false), tokenizer.decode(actual), () -> "decode of edge case " + where(name, 0, n, text));
                assertEquals(oracle.decode(actual, true), tokenizer.decode(actual, true), () -> "decode skipping specials of " + where(name, 0, n, text));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama2", "yi", "yi-chat", "llama2-metaspace-old", "small-llama2", "small-yi"})
    void randomIdSequencesDecodeAsTheReference(String name) {
        Tokenizer tokenizer = ours(name);
        Oracle oracle = oracle(name);
        Random random = new Random(SEED ^ (name.hashCode() * 31L));
        for (int i = 0; i < ID_SEQUENCES; i++) {
            int[] ids = new int[1 + random.nextInt(20)];
            // Mostly low ids: special tokens and byte tokens, whose runs decode to UTF-8 or U+FFFD per byte.
            for (int k = 0; k < ids.length; k++) {
                ids[k] = random.nextInt(3) == 0 ? random.nextInt(tokenizer.vocabSize()) : random.nextInt(Math.min(300, tokenizer.vocabSize()));
            }
            boolean skip = random.nextBoolean();
            int n = i;
            assertEquals(oracle.decode(ids, skip), tokenizer.decode(ids, skip),
                    () -> name + ", seed " + SEED + ", sequence " + n + ": decode of " + Arrays.toString(ids) + ", skip=" + skip);
        }
    }
}
