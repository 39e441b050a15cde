package org.apbj.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Reads tokenizer.json (and tokenizer_config.json beside it) into a {@link Tokenizer}. */
final class TokenizerLoader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TokenizerLoader() {}

    static Tokenizer load(Path directoryOrFile) {
        Path file = Files.isDirectory(directoryOrFile) ? directoryOrFile.resolve("tokenizer.json") : directoryOrFile;
        if (!Files.isRegularFile(file)) {
            throw new TokenizerFormatException("no tokenizer file at " + file
                    + ": pass a Hugging Face model directory that contains tokenizer.json, or the file itself");
        }
        String source = file.toString();
        JsonNode root = readJson(file);
        if (!root.path("truncation").isNull() && !root.path("truncation").isMissingNode()) {
            throw new TokenizerFormatException(source + ": \"truncation\" is set; encoding would cut texts short."
                    + " Set it to null in tokenizer.json (truncate ids in the caller instead)");
        }
        List<AddedToken> added = readAddedTokens(root.path("added_tokens"), source);
        Normalizer normalizer = readNormalizer(root.path("normalizer"), source);
        PreTokenizer preTokenizer = readPreTokenizer(root.path("pre_tokenizer"), source);
        if (!containsByteLevel(preTokenizer)) {
            throw new TokenizerFormatException(source + ": the pre-tokenizer has no ByteLevel step; only byte-level"
                    + " BPE tokenizers (GPT-2, Llama-3, Qwen families) are supported");
        }
        BpeModel model = readModel(root.path("model"), source);
        PostProcessor post = readPostProcessor(root.path("post_processor"), added, model, source);
        checkDecoder(root.path("decoder"), source);

        String bos = null, eos = null;
        Path config = file.resolveSibling("tokenizer_config.json");
        if (Files.isRegularFile(config)) {
            JsonNode c = readJson(config);
            bos = tokenName(c.path("bos_token"));
            eos = tokenName(c.path("eos_token"));
        }
        return new Tokenizer(source, added, normalizer, preTokenizer, model, post, bos, eos);
    }

    private static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new TokenizerFormatException(file + " is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new TokenizerFormatException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** bos_token / eos_token are either a string or an object with "content". */
    private static String tokenName(JsonNode n) {
        if (n.isTextual()) return n.asText();
        if (n.isObject() && n.path("content").isTextual()) return n.path("content").asText();
        return null;
    }

    private static List<AddedToken> readAddedTokens(JsonNode array, String source) {
        List<AddedToken> out = new ArrayList<>();
        if (array.isMissingNode() || array.isNull()) return out;
        for (JsonNode t : array) {
            if (!t.path("id").canConvertToInt() || !t.path("content").isTextual()) {
                throw new TokenizerFormatException(source + ": an entry of added_tokens lacks \"id\" or \"content\": " + t);
            }
            out.add(new AddedToken(t.path("id").asInt(), t.path("content").asText(), t.path("special").asBoolean(false),
                    t.path("lstrip").asBoolean(false), t.path("rstrip").asBoolean(false),
                    t.path("single_word").asBoolean(false), t.path("normalized").asBoolean(!t.path("special").asBoolean(false))));
        }
        return out;
    }

    private static Normalizer readNormalizer(JsonNode n, String source) {
        if (n.isMissingNode() || n.isNull()) return null;
        String type = n.path("type").asText();
        return switch (type) {
            case "NFC" -> new Normalizer.Unicode(java.text.Normalizer.Form.NFC);
            case "NFD" -> new Normalizer.Unicode(java.text.Normalizer.Form.NFD);
            case "NFKC" -> new Normalizer.Unicode(java.text.Normalizer.Form.NFKC);
            case "NFKD" -> new Normalizer.Unicode(java.text.Normalizer.Form.NFKD);
            case "Sequence" -> {
                List<Normalizer> list = new ArrayList<>();
                for (JsonNode child : n.path("normalizers")) {
                    Normalizer c = readNormalizer(child, source);
                    if (c != null) list.add(c);
                }
                yield new Normalizer.Sequence(List.copyOf(list));
            }
            default -> throw unsupported(source, "normalizer", type, "NFC, NFD, NFKC, NFKD, Sequence");
        };
    }

    private static PreTokenizer readPreTokenizer(JsonNode n, String source) {
        if (n.isMissingNode() || n.isNull()) return new PreTokenizer.Sequence(List.of());
        String type = n.path("type").asText();
        return switch (type) {
            case "Sequence" -> {
                List<PreTokenizer> list = new ArrayList<>();
                for (JsonNode child : n.path("pretokenizers")) list.add(readPreTokenizer(child, source));
                yield new PreTokenizer.Sequence(List.copyOf(list));
            }
            case "ByteLevel" -> PreTokenizer.ByteLevelSplit.of(n.path("add_prefix_space").asBoolean(false),
                    n.path("use_regex").asBoolean(true));
            case "Split" -> {
                JsonNode pattern = n.path("pattern");
                PreTokenizer.Behavior behavior = behavior(n.path("behavior").asText(), source);
                boolean invert = n.path("invert").asBoolean(false);
                if (pattern.path("Regex").isTextual() && behavior == PreTokenizer.Behavior.ISOLATED && !invert) {
                    LlamaPatternSplit fast = LlamaPatternSplit.forRegex(pattern.path("Regex").asText());
                    if (fast != null) yield fast;
                }
                Pattern p;
                if (pattern.path("Regex").isTextual()) p = OnigurumaPatterns.compile(pattern.path("Regex").asText());
                else if (pattern.path("String").isTextual()) p = Pattern.compile(Pattern.quote(pattern.path("String").asText()));
                else throw new TokenizerFormatException(source + ": Split pre-tokenizer without a Regex or String pattern: " + n);
                yield new PreTokenizer.Split(p, behavior, invert);
            }
            default -> throw unsupported(source, "pre-tokenizer", type, "Sequence, Split, ByteLevel");
        };
    }

    private static PreTokenizer.Behavior behavior(String name, String source) {
        return switch (name) {
            case "Removed" -> PreTokenizer.Behavior.REMOVED;
            case "Isolated" -> PreTokenizer.Behavior.ISOLATED;
            case "MergedWithPrevious" -> PreTokenizer.Behavior.MERGED_WITH_PREVIOUS;
            case "MergedWithNext" -> PreTokenizer.Behavior.MERGED_WITH_NEXT;
            case "Contiguous" -> PreTokenizer.Behavior.CONTIGUOUS;
            default -> throw unsupported(source, "Split behavior", name,
                    "Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous");
        };
    }

    private static boolean containsByteLevel(PreTokenizer p) {
        return switch (p) {
            case PreTokenizer.ByteLevelSplit b -> true;
            case PreTokenizer.Sequence s -> s.stages().stream().anyMatch(TokenizerLoader::containsByteLevel);
            case PreTokenizer.Split s -> false;
            case LlamaPatternSplit s -> false;
        };
    }

    private static BpeModel readModel(JsonNode m, String source) {
        String type = m.path("type").asText("BPE");
        if (!type.equals("BPE")) throw unsupported(source, "model", type, "BPE");
        if (m.path("dropout").isNumber() && m.path("dropout").asDouble() > 0) {
            throw new TokenizerFormatException(source + ": BPE dropout is set (" + m.path("dropout")
                    + "); it makes encoding random and is for training only. Set \"dropout\" to null");
        }
        if (m.path("byte_fallback").asBoolean(false)) {
            throw new TokenizerFormatException(source + ": BPE byte_fallback is set; that is a SentencePiece-style"
                    + " vocabulary, and only byte-level BPE is supported");
        }
        for (String affix : new String[] {"continuing_subword_prefix", "end_of_word_suffix"}) {
            if (m.path(affix).isTextual() && !m.path(affix).asText().isEmpty()) {
                throw new TokenizerFormatException(source + ": BPE \"" + affix + "\" is \"" + m.path(affix).asText()
                        + "\"; subword affixes are not supported (byte-level BPE does not use them)");
            }
        }
        JsonNode vocabNode = m.path("vocab");
        if (!vocabNode.isObject()) throw new TokenizerFormatException(source + ": model.vocab is missing or not an object");
        Map<String, Integer> vocab = new HashMap<>(vocabNode.size() * 2);
        vocabNode.fields().forEachRemaining(e -> vocab.put(e.getKey(), e.getValue().asInt()));
        JsonNode mergesNode = m.path("merges");
        String[][] merges = new String[mergesNode.size()][];
        int i = 0;
        for (JsonNode merge : mergesNode) {
            if (merge.isTextual()) {
                String s = merge.asText();
                int space = s.indexOf(' ');
                if (space < 0) {
                    throw new TokenizerFormatException(source + ": merge " + i + " (\"" + s + "\") is not two tokens separated by a space");
                }
                merges[i] = new String[] {s.substring(0, space), s.substring(space + 1)};
            } else if (merge.isArray() && merge.size() == 2) {
                merges[i] = new String[] {merge.get(0).asText(), merge.get(1).asText()};
            } else {
                throw new TokenizerFormatException(source + ": merge " + i + " is neither \"a b\" nor [a, b]: " + merge);
            }
            i++;
        }
        return new BpeModel(vocab, merges, m.path("ignore_merges").asBoolean(false), source);
    }

    private static PostProcessor readPostProcessor(JsonNode n, List<AddedToken> added, BpeModel model, String source) {
        if (n.isMissingNode() || n.isNull()) return new PostProcessor.Identity();
        String type = n.path("type").asText();
        return switch (type) {
            case "ByteLevel" -> new PostProcessor.Identity();
            case "Sequence" -> {
                List<PostProcessor> list = new ArrayList<>();
                for (JsonNode child : n.path("processors")) list.add(readPostProcessor(child, added, model, source));
                yield new PostProcessor.Sequence(List.copyOf(list));
            }
            case "TemplateProcessing" -> readTemplate(n, source);
            default -> throw unsupported(source, "post-processor", type, "ByteLevel, TemplateProcessing, Sequence");
        };
    }

    private static PostProcessor readTemplate(JsonNode n, String source) {
        IntList before = new IntList(2), after = new IntList(2);
        boolean seenSequence = false;
        for (JsonNode item : n.path("single")) {
            if (item.has("Sequence")) {
                if (seenSequence) throw new TokenizerFormatException(source + ": TemplateProcessing \"single\" names the sequence twice");
                seenSequence = true;
            } else if (item.has("SpecialToken")) {
                String name = item.path("SpecialToken").path("id").asText();
                JsonNode ids = n.path("special_tokens").path(name).path("ids");
                if (!ids.isArray() || ids.isEmpty()) {
                    throw new TokenizerFormatException(source + ": TemplateProcessing uses special token \"" + name
                            + "\" but special_tokens gives it no ids");
                }
                for (JsonNode id : ids) (seenSequence ? after : before).add(id.asInt());
            } else {
                throw new TokenizerFormatException(source + ": unknown TemplateProcessing item " + item);
            }
        }
        if (!seenSequence) throw new TokenizerFormatException(source + ": TemplateProcessing \"single\" has no Sequence item");
        return new PostProcessor.Template(before.toArray(), after.toArray());
    }

    private static void checkDecoder(JsonNode n, String source) {
        if (n.isMissingNode() || n.isNull()) {
            throw new TokenizerFormatException(source + ": no decoder; byte-level BPE needs the ByteLevel decoder");
        }
        String type = n.path("type").asText();
        boolean ok = type.equals("ByteLevel")
                || (type.equals("Sequence") && n.path("decoders").size() == 1 && n.path("decoders").get(0).path("type").asText().equals("ByteLevel"));
        if (!ok) throw unsupported(source, "decoder", type, "ByteLevel");
    }

    private static TokenizerFormatException unsupported(String source, String what, String type, String supported) {
        return new TokenizerFormatException(source + ": " + what + " type \"" + type + "\" is not supported (supported: "
                + supported + "); only byte-level BPE tokenizers of the Llama-3 / Qwen-2 / GPT-2 kind can be read");
    }
}
