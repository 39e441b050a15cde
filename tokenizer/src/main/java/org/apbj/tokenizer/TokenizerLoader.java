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
        PreTokenizer preTokenizer = readPreTokenizer(root.path("pre_tokenizer"), source, true);
        BpeModel model = readModel(root.path("model"), containsByteLevel(preTokenizer), source);
        PostProcessor post = readPostProcessor(root.path("post_processor"), added, model, source);
        Decoder decoder = readDecoder(root.path("decoder"), source);

        String bos = null, eos = null;
        Path config = file.resolveSibling("tokenizer_config.json");
        if (Files.isRegularFile(config)) {
            JsonNode c = readJson(config);
            bos = tokenName(c.path("bos_token"));
            eos = tokenName(c.path("eos_token"));
        }
        return new Tokenizer(source, added, normalizer, preTokenizer, model, post, decoder, bos, eos);
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
            case "Prepend" -> new Normalizer.Prepend(text(n, "prepend", source));
            case "Replace" -> readReplace(n, source);
            case "Sequence" -> {
                List<Normalizer> list = new ArrayList<>();
                for (JsonNode child : n.path("normalizers")) {
                    Normalizer c = readNormalizer(child, source);
                    if (c != null) list.add(c);
                }
                yield new Normalizer.Sequence(List.copyOf(list));
            }
            default -> throw unsupported(source, "normalizer", type, "NFC, NFD, NFKC, NFKD, Prepend, Replace, Sequence");
        };
    }

    /** Replace, as a normalizer and as a decoder step: {"pattern": {"String" | "Regex": ...}, "content": ...}. */
    private static Normalizer.Replace readReplace(JsonNode n, String source) {
        JsonNode pattern = n.path("pattern");
        Pattern p;
        if (pattern.path("String").isTextual()) p = Pattern.compile(pattern.path("String").asText(), Pattern.LITERAL);
        else if (pattern.path("Regex").isTextual()) p = OnigurumaPatterns.compile(pattern.path("Regex").asText());
        else throw new TokenizerFormatException(source + ": Replace without a String or Regex pattern: " + n);
        return new Normalizer.Replace(p, text(n, "content", source));
    }

    private static String text(JsonNode n, String field, String source) {
        if (!n.path(field).isTextual()) {
            throw new TokenizerFormatException(source + ": " + n.path("type").asText() + " lacks the text field \"" + field + "\": " + n);
        }
        return n.path(field).asText();
    }

    private static char oneChar(JsonNode n, String field, String source) {
        String s = text(n, field, source);
        if (s.length() != 1) {
            throw new TokenizerFormatException(source + ": " + n.path("type").asText() + " \"" + field + "\" must be one"
                    + " character (of the Basic Multilingual Plane), not \"" + s + "\"");
        }
        return s.charAt(0);
    }

    private static PreTokenizer readPreTokenizer(JsonNode n, String source, boolean topLevel) {
        if (n.isMissingNode() || n.isNull()) return new PreTokenizer.Sequence(List.of());
        String type = n.path("type").asText();
        return switch (type) {
            case "Sequence" -> {
                List<PreTokenizer> list = new ArrayList<>();
                for (JsonNode child : n.path("pretokenizers")) list.add(readPreTokenizer(child, source, false));
                yield new PreTokenizer.Sequence(List.copyOf(list));
            }
            case "Metaspace" -> readMetaspace(n, source);
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
            default -> throw unsupported(source, "pre-tokenizer", type, "Sequence, Split, ByteLevel, Metaspace");
        };
    }

    /** Both forms: prepend_scheme ("always", "first", "never") and split, or the older add_prefix_space. */
    private static PreTokenizer.Metaspace readMetaspace(JsonNode n, String source) {
        char replacement = oneChar(n, "replacement", source);
        PreTokenizer.Metaspace.PrependScheme scheme = switch (n.path("prepend_scheme").asText("always")) {
            case "always" -> PreTokenizer.Metaspace.PrependScheme.ALWAYS;
            case "first" -> PreTokenizer.Metaspace.PrependScheme.FIRST;
            case "never" -> PreTokenizer.Metaspace.PrependScheme.NEVER;
            default -> throw unsupported(source, "Metaspace prepend_scheme", n.path("prepend_scheme").asText(), "always, first, never");
        };
        if (!n.path("add_prefix_space").asBoolean(true)) scheme = PreTokenizer.Metaspace.PrependScheme.NEVER;
        return new PreTokenizer.Metaspace(replacement, scheme, n.path("split").asBoolean(true));
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
            case PreTokenizer.Metaspace m -> false;
            case LlamaPatternSplit s -> false;
        };
    }

    /**
     * @param byteLevel the pre-tokenizer maps bytes to characters (ByteLevel): the model starts
     *                  from bytes; otherwise from characters, SentencePiece-style
     */
    private static BpeModel readModel(JsonNode m, boolean byteLevel, String source) {
        String type = m.path("type").asText("BPE");
        if (!type.equals("BPE")) throw unsupported(source, "model", type, "BPE");
        if (m.path("dropout").isNumber() && m.path("dropout").asDouble() > 0) {
            throw new TokenizerFormatException(source + ": BPE dropout is set (" + m.path("dropout")
                    + "); it makes encoding random and is for training only. Set \"dropout\" to null");
        }
        for (String affix : new String[] {"continuing_subword_prefix", "end_of_word_suffix"}) {
            if (m.path(affix).isTextual() && !m.path(affix).asText().isEmpty()) {
                throw new TokenizerFormatException(source + ": BPE \"" + affix + "\" is \"" + m.path(affix).asText()
                        + "\"; subword affixes are not supported (byte-level and SentencePiece-style BPE do not use them)");
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
        BpeAlphabet alphabet;
        if (byteLevel) {
            alphabet = new ByteLevelAlphabet(vocab, source);
        } else {
            int unkId = -1;
            if (m.path("unk_token").isTextual()) {
                Integer id = vocab.get(m.path("unk_token").asText());
                if (id == null) {
                    throw new TokenizerFormatException(source + ": unk_token \"" + m.path("unk_token").asText()
                            + "\" is not in the vocabulary; the file is inconsistent");
                }
                unkId = id;
            }
            alphabet = new CharAlphabet(vocab, m.path("byte_fallback").asBoolean(false), unkId, m.path("fuse_unk").asBoolean(false));
        }
        return new BpeModel(vocab, merges, alphabet, m.path("ignore_merges").asBoolean(false), source);
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

    private static final String SUPPORTED_DECODERS = "ByteLevel; or, in this order, Replace steps or Metaspace,"
            + " ByteFallback, then Fuse and Strip (stop 0)";

    /** ByteLevel, or the SentencePiece-style chain of {@link SentencePieceDecoder} (alone or as a Sequence). */
    private static Decoder readDecoder(JsonNode n, String source) {
        if (n.isMissingNode() || n.isNull()) {
            throw new TokenizerFormatException(source + ": no decoder (Hugging Face would join the tokens with spaces);"
                    + " supported: " + SUPPORTED_DECODERS);
        }
        List<JsonNode> steps = new ArrayList<>();
        if (n.path("type").asText().equals("Sequence")) n.path("decoders").forEach(steps::add);
        else steps.add(n);
        if (steps.size() == 1 && type(steps.get(0)).equals("ByteLevel")) return ByteLevelDecoder.INSTANCE;

        int i = 0;
        List<Normalizer.Replace> replaces = new ArrayList<>();
        while (i < steps.size() && type(steps.get(i)).equals("Replace")) replaces.add(readReplace(steps.get(i++), source));
        char metaspace = 0;
        boolean metaspaceFirst = false;
        if (replaces.isEmpty() && i < steps.size() && type(steps.get(i)).equals("Metaspace")) {
            PreTokenizer.Metaspace m = readMetaspace(steps.get(i++), source);
            metaspace = m.replacement();
            metaspaceFirst = m.prependScheme() != PreTokenizer.Metaspace.PrependScheme.NEVER;
        }
        boolean byteFallback = i < steps.size() && type(steps.get(i)).equals("ByteFallback");
        if (byteFallback) i++;
        boolean fused = false, stripped = false, stripWholeText = false;
        char stripContent = ' ';
        int stripStart = 0;
        for (; i < steps.size(); i++) {
            JsonNode step = steps.get(i);
            if (type(step).equals("Fuse") && !fused) {
                fused = true;
            } else if (type(step).equals("Strip") && !stripped && step.path("stop").asInt(0) == 0) {
                stripped = true;
                stripWholeText = fused;
                stripContent = oneChar(step, "content", source);
                stripStart = step.path("start").asInt(0);
            } else {
                throw new TokenizerFormatException(source + ": decoder step " + type(step) + " at position " + i
                        + " of " + steps.size() + " is not supported there (supported: " + SUPPORTED_DECODERS + ")");
            }
        }
        return new SentencePieceDecoder(List.copyOf(replaces), metaspace, metaspaceFirst, byteFallback,
                stripContent, stripStart, stripWholeText);
    }

    private static String type(JsonNode n) {
        return n.path("type").asText();
    }

    private static TokenizerFormatException unsupported(String source, String what, String type, String supported) {
        return new TokenizerFormatException(source + ": " + what + " type \"" + type + "\" is not supported (supported: "
                + supported + "); BPE tokenizers of the byte-level kind (Llama-3, Qwen-2, GPT-2) and of the"
                + " SentencePiece kind (Llama-2, Mistral, Yi) can be read");
    }
}
