package org.apbj.weights;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A small valid byte-level BPE tokenizer for synthetic models, in Hugging Face's tokenizer.json
 * format with Llama-3's pre-tokenizer: special tokens first (the same ids and chat format as
 * tiny-niah), then the 256 byte tokens, then a few merges of common English pairs.
 */
public final class SyntheticTokenizer {
    private SyntheticTokenizer() {}

    public static final List<String> SPECIAL_TOKENS =
            List.of("<|bos|>", "<|eot|>", "<|user|>", "<|assistant|>", "<|pad|>");
    public static final int BOS_ID = 0;
    public static final int EOT_ID = 1;

    /** Merges (left, right) in priority order; each adds the token left+right. */
    static final String[][] MERGES = {
            {"h", "e"}, {"Ġ", "t"}, {"Ġt", "he"}, {"i", "n"}, {"Ġ", "a"}, {"e", "r"}, {"o", "n"},
            {"Ġ", "s"}, {"r", "e"}, {"a", "t"}, {"Ġ", "w"}, {"e", "n"}, {"Ġ", "i"}, {"n", "d"}, {"Ġa", "nd"},
            {"Ġ", "o"}, {"o", "u"}};

    /** Llama-3's pre-tokenizer split regex. */
    static final String SPLIT_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** Number of tokens: specials + 256 bytes + merges. */
    public static int vocabSize() {
        return SPECIAL_TOKENS.size() + 256 + MERGES.length;
    }

    /** GPT-2's byte-to-unicode table: printable bytes map to themselves, the others to U+0100 upwards. */
    static String[] byteToUnicode() {
        String[] out = new String[256];
        int next = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            out[b] = printable ? String.valueOf((char) b) : String.valueOf((char) (256 + next++));
        }
        return out;
    }

    /** Writes tokenizer.json and tokenizer_config.json into {@code dir}. */
    public static void write(Path dir, int modelMaxLength) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < SPECIAL_TOKENS.size(); i++) {
            ObjectNode t = added.addObject();
            t.put("id", i);
            t.put("content", SPECIAL_TOKENS.get(i));
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Sequence");
        ArrayNode pres = pre.putArray("pretokenizers");
        ObjectNode split = pres.addObject();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", SPLIT_REGEX);
        split.put("behavior", "Isolated");
        split.put("invert", false);
        ObjectNode byteLevel = pres.addObject();
        byteLevel.put("type", "ByteLevel");
        byteLevel.put("add_prefix_space", false);
        byteLevel.put("trim_offsets", true);
        byteLevel.put("use_regex", false);
        root.putNull("post_processor");
        ObjectNode decoder = root.putObject("decoder");
        decoder.put("type", "ByteLevel");
        decoder.put("add_prefix_space", true);
        decoder.put("trim_offsets", true);
        decoder.put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        int id = 0;
        for (String s : SPECIAL_TOKENS) vocab.put(s, id++);
        List<String> bytes = new ArrayList<>(List.of(byteToUnicode()));
        bytes.sort(null);
        for (String b : bytes) vocab.put(b, id++);
        ArrayNode merges = model.putArray("merges");
        for (String[] m : MERGES) {
            if (!vocab.has(m[0]) || !vocab.has(m[1])) throw new IllegalStateException("merge of unknown token " + m[0] + m[1]);
            vocab.put(m[0] + m[1], id++);
            merges.addArray().add(m[0]).add(m[1]);
        }

        ObjectNode config = json.createObjectNode();
        config.put("tokenizer_class", "PreTrainedTokenizerFast");
        config.put("bos_token", "<|bos|>");
        config.put("eos_token", "<|eot|>");
        config.put("pad_token", "<|pad|>");
        config.putNull("unk_token");
        config.put("add_bos_token", false);
        config.put("add_eos_token", false);
        config.put("clean_up_tokenization_spaces", false);
        config.put("model_max_length", modelMaxLength);
        config.put("chat_template", "<|bos|>{% for m in messages %}{% if m['role'] == 'user' %}<|user|>{{ m['content'] }}"
                + "{% elif m['role'] == 'assistant' %}<|assistant|>{{ m['content'] }}<|eot|>{% endif %}{% endfor %}"
                + "{% if add_generation_prompt %}<|assistant|>{% endif %}");
        try {
            json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("tokenizer.json").toFile(), root);
            json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("tokenizer_config.json").toFile(), config);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the tokenizer into " + dir + ": " + e.getMessage(), e);
        }
        if (id != vocabSize()) throw new IllegalStateException("vocab size " + id + " != " + vocabSize());
    }
}
