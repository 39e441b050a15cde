package org.apbj.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compares pre-token boundaries exactly with Hugging Face's tokenizers. A synthetic tokenizer
 * holds every substring of the test strings in its vocabulary, no merges, and ignore_merges:
 * then every pre-token comes out as one id, so equal ids mean equal pre-tokenization (regex
 * translation, white space, case folding, normalizer).
 */
class PreTokenizerBoundaryTest {
    private static final String LLAMA3_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String QWEN_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    @TempDir
    Path dir;

    @Test
    void llama3SplitMatchesReference() throws IOException {
        compare(splitThenByteLevel(LLAMA3_REGEX), null, 11);
    }

    @Test
    void qwenSplitWithNfcMatchesReference() throws IOException {
        ObjectNode nfc = F.objectNode().put("type", "NFC");
        ObjectNode sequence = F.objectNode().put("type", "Sequence");
        sequence.putArray("normalizers").add(nfc);
        compare(splitThenByteLevel(QWEN_REGEX), sequence, 12);
    }

    @Test
    void gpt2ByteLevelRegexMatchesReference() throws IOException {
        ObjectNode byteLevel = F.objectNode().put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true).put("use_regex", true);
        compare(byteLevel, null, 13);
    }

    @Test
    void longSIsFoldedInContractionsAsInOniguruma() throws IOException {
        // (?i:'s) matches "'ſ" in Oniguruma (Unicode case folding): "'ſtar" is "'ſ" + "tar".
        Path json = write(splitThenByteLevel(LLAMA3_REGEX), null, List.of("'ſtar", "'Star", "x'ſ", "'\u212Atar"));
        Tokenizer ours = Tokenizer.load(json);
        int apostropheLongS = ours.tokenId(ByteLevel.toByteLevel("'ſ")).orElseThrow();
        int tar = ours.tokenId("tar").orElseThrow();
        assertArrayEquals(new int[] {apostropheLongS, tar}, ours.encode("'ſtar"));
        try (HuggingFaceTokenizer reference = reference(json)) {
            for (String s : List.of("'ſtar", "'Star", "x'ſ", "'\u212Atar")) {
                assertArrayEquals(ids(reference, s), ours.encode(s), () -> ReferenceOracleTest.escape(s));
            }
        }
    }

    private void compare(ObjectNode preTokenizer, ObjectNode normalizer, long seed) throws IOException {
        RandomText random = new RandomText(seed, List.of());
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 250; i++) texts.add(random.next(5, false));
        Path json = write(preTokenizer, normalizer, texts);
        Tokenizer ours = Tokenizer.load(json);
        try (HuggingFaceTokenizer reference = reference(json)) {
            for (String s : texts) assertArrayEquals(ids(reference, s), ours.encode(s), () -> ReferenceOracleTest.escape(s));
        }
    }

    private static HuggingFaceTokenizer reference(Path json) throws IOException {
        return HuggingFaceTokenizer.newInstance(json, Map.of("truncation", "false", "padding", "false"));
    }

    private static int[] ids(HuggingFaceTokenizer reference, String s) {
        return Arrays.stream(reference.encode(s, false, false).getIds()).mapToInt(Math::toIntExact).toArray();
    }

    private static ObjectNode splitThenByteLevel(String regex) {
        ObjectNode split = F.objectNode().put("type", "Split");
        split.putObject("pattern").put("Regex", regex);
        split.put("behavior", "Isolated").put("invert", false);
        ObjectNode byteLevel = F.objectNode().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", false);
        ObjectNode sequence = F.objectNode().put("type", "Sequence");
        sequence.putArray("pretokenizers").add(split).add(byteLevel);
        return sequence;
    }

    /** A tokenizer.json whose vocabulary is the 256 bytes plus every substring of the (normalized) texts. */
    private Path write(ObjectNode preTokenizer, ObjectNode normalizer, List<String> texts) throws IOException {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) vocab.put(String.valueOf(ByteLevel.charOf(b)), vocab.size());
        for (String text : texts) {
            String t = normalizer == null ? text : java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFC);
            int[] cps = t.codePoints().toArray();
            for (int i = 0; i < cps.length; i++) {
                for (int j = i + 1; j <= cps.length; j++) {
                    String piece = new String(cps, i, j - i);
                    vocab.putIfAbsent(ByteLevel.toByteLevel(piece), vocab.size());
                    if (normalizer == null && preTokenizer.path("type").asText().equals("ByteLevel")) {
                        vocab.putIfAbsent(ByteLevel.toByteLevel(" " + piece), vocab.size());
                    }
                }
            }
        }
        ObjectNode root = F.objectNode().put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        root.putArray("added_tokens");
        if (normalizer == null) root.putNull("normalizer");
        else root.set("normalizer", normalizer);
        root.set("pre_tokenizer", preTokenizer);
        root.putNull("post_processor");
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true).put("use_regex", true);
        ObjectNode model = root.putObject("model").put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false).put("byte_fallback", false).put("ignore_merges", true);
        ObjectNode vocabNode = model.putObject("vocab");
        vocab.forEach(vocabNode::put);
        ArrayNode merges = model.putArray("merges");
        assert merges.isEmpty();
        Path file = Files.createTempDirectory(dir, "tok").resolve("tokenizer.json");
        new ObjectMapper().writeValue(file.toFile(), root);
        return file;
    }
}
