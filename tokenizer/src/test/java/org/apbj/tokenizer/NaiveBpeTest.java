package org.apbj.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The BPE merge loop against a deliberately naive reference written from the definition: read
 * the vocabulary and merges straight from the JSON; for each pre-token, repeatedly merge the
 * adjacent pair whose merge comes first in the list (leftmost on ties), by scanning all pairs
 * each round. No heap, no linked list, no cache. Covers long pieces the vectors lack.
 */
class NaiveBpeTest {

    @ParameterizedTest
    @ValueSource(strings = {"llama3", "qwen2_5", "tiny-niah"})
    void mergeLoopMatchesNaiveDefinition(String name) throws IOException {
        java.nio.file.Path dir = name.equals("tiny-niah") ? TestFiles.tinyNiah() : TestFiles.sharedTokenizer(name);
        JsonNode model = new ObjectMapper().readTree(dir.resolve("tokenizer.json").toFile()).path("model");
        Map<String, Integer> vocab = new HashMap<>();
        model.path("vocab").fields().forEachRemaining(e -> vocab.put(e.getKey(), e.getValue().asInt()));
        Map<String, Integer> rankOfPair = new HashMap<>();
        int rank = 0;
        for (JsonNode m : model.path("merges")) {
            String pair = m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText();
            rankOfPair.put(pair, rank++);
        }
        boolean ignoreMerges = model.path("ignore_merges").asBoolean(false);

        Tokenizer tokenizer = name.equals("tiny-niah") ? Tokenizer.load(dir) : SharedTokenizers.get(name);
        PreTokenizer split = new LlamaPatternSplit(name.equals("qwen2_5") ? 1 : 3);
        RandomText random = new RandomText(77, List.of());
        for (int i = 0; i < 400; i++) {
            String text = random.next(i % 20 == 0 ? 60 : 8, false);
            if (name.equals("qwen2_5")) text = java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFC);
            List<String> pieces = new ArrayList<>();
            split.split(text, pieces);
            List<Integer> expected = new ArrayList<>();
            for (String piece : pieces) expected.addAll(naive(ByteLevel.toByteLevel(piece), vocab, rankOfPair, ignoreMerges));
            String shown = text;
            assertArrayEquals(expected.stream().mapToInt(Integer::intValue).toArray(), tokenizer.encode(text),
                    () -> ReferenceOracleTest.escape(shown));
        }
    }

    /**
     * Llama-2 and Yi: no pre-tokenizer, so the normalized text ("▁" for spaces, and Llama-2's
     * dummy prefix) is one piece; it starts from its characters, those outside the vocabulary as
     * their {@code <0xXX>} byte tokens.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama2", "yi"})
    void sentencePieceMergeLoopMatchesNaiveDefinition(String name) throws IOException {
        java.nio.file.Path dir = TestFiles.sharedTokenizer(name);
        JsonNode model = new ObjectMapper().readTree(dir.resolve("tokenizer.json").toFile()).path("model");
        Map<String, Integer> vocab = new HashMap<>();
        model.path("vocab").fields().forEachRemaining(e -> vocab.put(e.getKey(), e.getValue().asInt()));
        Map<String, Integer> rankOfPair = new HashMap<>();
        int rank = 0;
        for (JsonNode m : model.path("merges")) rankOfPair.put(m.asText(), rank++);

        Tokenizer tokenizer = Tokenizer.load(dir);
        RandomText random = new RandomText(78, List.of(), true);
        for (int i = 0; i < 400; i++) {
            String text = random.next(i % 20 == 0 ? 60 : 8, false);
            String piece = text.replace(" ", "\u2581");
            if (name.equals("llama2") && !text.isEmpty()) piece = "\u2581" + piece;
            List<String> symbols = new ArrayList<>();
            piece.codePoints().forEach(cp -> {
                String c = Character.toString(cp);
                if (vocab.containsKey(c)) symbols.add(c);
                else for (byte b : c.getBytes(java.nio.charset.StandardCharsets.UTF_8)) symbols.add(String.format("<0x%02X>", b));
            });
            List<Integer> expected = naiveMerge(symbols, vocab, rankOfPair);
            String shown = text;
            assertArrayEquals(expected.stream().mapToInt(Integer::intValue).toArray(), tokenizer.encode(text),
                    () -> name + ": " + ReferenceOracleTest.escape(shown));
        }
    }

    private static List<Integer> naive(String piece, Map<String, Integer> vocab, Map<String, Integer> rankOfPair, boolean ignoreMerges) {
        if (ignoreMerges && vocab.containsKey(piece)) return List.of(vocab.get(piece));
        List<String> symbols = new ArrayList<>();
        for (int i = 0; i < piece.length(); i++) symbols.add(String.valueOf(piece.charAt(i)));
        return naiveMerge(symbols, vocab, rankOfPair);
    }

    private static List<Integer> naiveMerge(List<String> symbols, Map<String, Integer> vocab, Map<String, Integer> rankOfPair) {
        while (true) {
            int best = -1, bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                Integer r = rankOfPair.get(symbols.get(i) + " " + symbols.get(i + 1));
                if (r != null && r < bestRank) {
                    bestRank = r;
                    best = i;
                }
            }
            if (best < 0) break;
            symbols.set(best, symbols.get(best) + symbols.remove(best + 1));
        }
        List<Integer> ids = new ArrayList<>();
        for (String s : symbols) ids.add(vocab.get(s));
        return ids;
    }
}
