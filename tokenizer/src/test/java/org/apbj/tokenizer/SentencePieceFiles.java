package org.apbj.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * SentencePiece-style tokenizer.json files for tests: the real Llama-2 and Yi files of shared/,
 * variants of them in the other forms Hugging Face writes (Metaspace pre-tokenizer, Yi-Chat's
 * added tokens, no byte fallback), and a small one trained here, which needs no shared file.
 */
final class SentencePieceFiles {
    static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final ObjectMapper JSON = new ObjectMapper();

    private SentencePieceFiles() {}

    /**
     * The directory of a named tokenizer: "llama2" and "yi" are the shared files; the others are
     * written under {@code tmp}:
     * <ul>
     *   <li>"llama2-metaspace": Llama-2 as newer transformers write it (legacy=false, Mistral v0.3):
     *       no normalizer, Metaspace with prepend_scheme "first" and no split;</li>
     *   <li>"llama2-metaspace-old": the older form, Metaspace {add_prefix_space: true} (splits, always
     *       prepends) and the Metaspace decoder;</li>
     *   <li>"llama2-unk": byte_fallback off, so characters outside the vocabulary become fused &lt;unk&gt;;</li>
     *   <li>"yi-chat": Yi with &lt;|im_start|&gt;, &lt;|im_end|&gt;, &lt;|im_sep|&gt; as special added tokens, as Yi-Chat has them;</li>
     *   <li>"small-*": {@link #small} in the shapes of Llama-2 ("small-llama2"), Yi without an
     *       unknown token ("small-yi"), unfused unknowns ("small-unfused") and Metaspace ("small-metaspace").</li>
     * </ul>
     */
    static Path directory(String name, Path tmp) {
        return switch (name) {
            case "llama2", "yi" -> TestFiles.sharedTokenizer(name);
            case "llama2-metaspace" -> variant(tmp, name, "llama2", root -> {
                root.putNull("normalizer");
                root.set("pre_tokenizer", metaspace("first", false));
            });
            case "llama2-metaspace-old" -> variant(tmp, name, "llama2", root -> {
                root.putNull("normalizer");
                ObjectNode old = F.objectNode().put("type", "Metaspace").put("replacement", "\u2581").put("add_prefix_space", true);
                root.set("pre_tokenizer", old);
                root.set("decoder", old.deepCopy());
            });
            case "llama2-unk" -> variant(tmp, name, "llama2", root -> ((ObjectNode) root.path("model")).put("byte_fallback", false));
            case "yi-chat" -> variant(tmp, name, "yi", root -> {
                ArrayNode added = (ArrayNode) root.path("added_tokens");
                String[] chatml = {"<|im_start|>", "<|im_end|>", "<|im_sep|>"};
                for (int i = 0; i < chatml.length; i++) {
                    added.add(F.objectNode().put("id", 6 + i).put("content", chatml[i]).put("single_word", false).put("lstrip", false)
                            .put("rstrip", false).put("normalized", false).put("special", true));
                }
            });
            case "small-llama2" -> write(tmp, name, small(llama2Normalizer(), null, llama2Decoder(true), "<unk>", true));
            case "small-yi" -> write(tmp, name, small(replaceSpaces(), null, llama2Decoder(false), null, false));
            case "small-unfused" -> write(tmp, name, small(llama2Normalizer(), null, llama2Decoder(true), "<unk>", false));
            case "small-metaspace" -> write(tmp, name, small(null, metaspace("always", true), llama2Decoder(true), "<unk>", true));
            default -> throw new IllegalArgumentException("no SentencePiece test tokenizer " + name);
        };
    }

    static ObjectNode metaspace(String prependScheme, boolean split) {
        return F.objectNode().put("type", "Metaspace").put("replacement", "\u2581").put("prepend_scheme", prependScheme).put("split", split);
    }

    private static ObjectNode replaceSpaces() {
        ObjectNode replace = F.objectNode().put("type", "Replace").put("content", "\u2581");
        replace.putObject("pattern").put("String", " ");
        ObjectNode sequence = F.objectNode().put("type", "Sequence");
        sequence.putArray("normalizers").add(replace);
        return sequence;
    }

    private static ObjectNode llama2Normalizer() {
        ObjectNode sequence = replaceSpaces();
        ((ArrayNode) sequence.path("normalizers")).insert(0, F.objectNode().put("type", "Prepend").put("prepend", "\u2581"));
        return sequence;
    }

    private static ObjectNode llama2Decoder(boolean strip) {
        ObjectNode replace = F.objectNode().put("type", "Replace").put("content", " ");
        replace.putObject("pattern").put("String", "\u2581");
        ObjectNode sequence = F.objectNode().put("type", "Sequence");
        ArrayNode steps = sequence.putArray("decoders").add(replace).add(F.objectNode().put("type", "ByteFallback"))
                .add(F.objectNode().put("type", "Fuse"));
        if (strip) steps.add(F.objectNode().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0));
        return sequence;
    }

    private static Path variant(Path tmp, String name, String base, Consumer<ObjectNode> edit) {
        try {
            ObjectNode root = (ObjectNode) JSON.readTree(TestFiles.sharedTokenizer(base).resolve("tokenizer.json").toFile());
            edit.accept(root);
            return write(tmp, name, root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path write(Path tmp, String name, ObjectNode root) {
        try {
            Path dir = Files.createDirectories(tmp.resolve(name));
            JSON.writeValue(dir.resolve("tokenizer.json").toFile(), root);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A small SentencePiece-style BPE trained here on RandomText's words: &lt;unk&gt; &lt;s&gt; &lt;/s&gt;,
     * byte tokens for 0x00-0x7F and 0x80-0xBF plus 0xE4 (so 中, E4 B8 AD, falls back to bytes
     * while other non-ASCII characters outside the vocabulary have no byte tokens and become
     * unknown), ASCII, "▁", a few letters beyond ASCII, and 300 merges.
     */
    static ObjectNode small(ObjectNode normalizer, ObjectNode preTokenizer, ObjectNode decoder, String unkToken, boolean fuseUnk) {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        vocab.put("<unk>", 0);
        vocab.put("<s>", 1);
        vocab.put("</s>", 2);
        for (int b = 0; b < 0xC0; b++) vocab.put(CharAlphabet.byteToken(b), vocab.size());
        vocab.put(CharAlphabet.byteToken(0xE4), vocab.size());
        for (char c = ' ' + 1; c < 0x7F; c++) vocab.put(String.valueOf(c), vocab.size());
        for (String c : new String[] {"\u2581", "\u00E9", "\u00EF", "\u00DF", "\u043F", "\u0440", "\u0438", "\u4F60", "\u597D", "\t"}) {
            vocab.put(c, vocab.size());
        }
        // Train: words with their leading "▁", repeatedly merge the most frequent adjacent pair.
        List<List<String>> words = new ArrayList<>();
        for (String w : "the The of and needle haystack magic number is hidden within following text Hello world tokenizer LLaMA APB attention naïve Straße привет 你好 you your there these that this thing".split(" ")) {
            List<String> symbols = new ArrayList<>();
            ("\u2581" + w).codePoints().forEach(cp -> symbols.add(Character.toString(cp)));
            words.add(symbols);
        }
        ArrayNode merges = F.arrayNode();
        for (int m = 0; m < 300; m++) {
            Map<String, Integer> counts = new HashMap<>();
            String best = null;
            for (List<String> w : words) {
                for (int i = 0; i + 1 < w.size(); i++) {
                    if (!vocab.containsKey(w.get(i)) || !vocab.containsKey(w.get(i + 1))) continue;
                    String pair = w.get(i) + " " + w.get(i + 1);
                    int c = counts.merge(pair, 1, Integer::sum);
                    if (best == null || c > counts.get(best) || (c == counts.get(best) && pair.compareTo(best) < 0)) best = pair;
                }
            }
            if (best == null) break;
            String left = best.substring(0, best.indexOf(' ')), right = best.substring(best.indexOf(' ') + 1);
            merges.add(best);
            vocab.putIfAbsent(left + right, vocab.size());
            for (List<String> w : words) {
                for (int i = 0; i + 1 < w.size(); i++) {
                    if (w.get(i).equals(left) && w.get(i + 1).equals(right)) {
                        w.set(i, left + right);
                        w.remove(i + 1);
                    }
                }
            }
        }
        ObjectNode root = F.objectNode().put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int id = 0; id < 3; id++) {
            added.add(F.objectNode().put("id", id).put("content", List.of("<unk>", "<s>", "</s>").get(id)).put("single_word", false)
                    .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true));
        }
        root.set("normalizer", normalizer == null ? F.nullNode() : normalizer);
        root.set("pre_tokenizer", preTokenizer == null ? F.nullNode() : preTokenizer);
        ObjectNode post = root.putObject("post_processor").put("type", "TemplateProcessing");
        post.putArray("single").add(F.objectNode().set("SpecialToken", F.objectNode().put("id", "<s>").put("type_id", 0)))
                .add(F.objectNode().set("Sequence", F.objectNode().put("id", "A").put("type_id", 0)));
        post.putArray("pair").add(F.objectNode().set("Sequence", F.objectNode().put("id", "A").put("type_id", 0)))
                .add(F.objectNode().set("Sequence", F.objectNode().put("id", "B").put("type_id", 1)));
        ObjectNode bos = post.putObject("special_tokens").putObject("<s>").put("id", "<s>");
        bos.putArray("ids").add(1);
        bos.putArray("tokens").add("<s>");
        root.set("decoder", decoder);
        ObjectNode model = root.putObject("model").put("type", "BPE");
        model.putNull("dropout");
        if (unkToken == null) model.putNull("unk_token");
        else model.put("unk_token", unkToken);
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", fuseUnk).put("byte_fallback", true).put("ignore_merges", false);
        ObjectNode vocabNode = model.putObject("vocab");
        vocab.forEach(vocabNode::put);
        model.set("merges", merges);
        return root;
    }
}
