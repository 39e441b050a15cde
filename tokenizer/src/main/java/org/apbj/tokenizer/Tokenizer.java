package org.apbj.tokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A Hugging Face BPE tokenizer read from a model directory's {@code tokenizer.json} (and, when
 * present, {@code tokenizer_config.json} for the BOS/EOS token names): byte-level (Llama-3,
 * Qwen-2.5) or SentencePiece-style with byte fallback (Llama-2, Mistral, Yi).
 *
 * <p>Encoding follows Hugging Face tokenizers step by step: added tokens are matched in the raw
 * text first (leftmost, longest); the text between them is normalized, pre-tokenized (regex
 * split and ByteLevel, or Metaspace) and each piece is encoded by BPE; the post-processor adds
 * BOS when asked ({@code add_special_tokens}). Decoding runs the file's decoder (ByteLevel, or
 * Replace "▁" / ByteFallback / Fuse / Strip). For any text without added-token strings in it,
 * {@code decode(encode(text)).equals(text)}, up to the normalizer (NFC for Qwen); for
 * SentencePiece-style files the text must also be free of "▁", which stands for a space.
 *
 * <p>Instances are immutable apart from an internal bounded cache and safe to share between threads.
 */
public final class Tokenizer {
    private final String source;
    private final AddedTokenMatcher rawAddedTokens;
    private final AddedTokenMatcher normalizedAddedTokens;
    private final Normalizer normalizer;
    private final PreTokenizer preTokenizer;
    private final BpeModel model;
    private final PostProcessor postProcessor;
    private final Decoder decoder;
    private final Map<Integer, AddedToken> addedById;
    private final Map<String, AddedToken> addedByContent;
    private final int vocabSize;
    private final String bosToken;
    private final String eosToken;

    Tokenizer(String source, List<AddedToken> addedTokens, Normalizer normalizer, PreTokenizer preTokenizer,
              BpeModel model, PostProcessor postProcessor, Decoder decoder, String bosToken, String eosToken) {
        this.source = source;
        this.decoder = decoder;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.model = model;
        this.postProcessor = postProcessor;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        Map<Integer, AddedToken> byId = new HashMap<>();
        Map<String, AddedToken> byContent = new HashMap<>();
        List<AddedToken> raw = new ArrayList<>(), normalized = new ArrayList<>();
        int maxId = model.vocabSize() - 1;
        for (AddedToken t : addedTokens) {
            byId.put(t.id(), t);
            byContent.put(t.content(), t);
            (t.normalized() ? normalized : raw).add(t);
            maxId = Math.max(maxId, t.id());
        }
        this.addedById = Collections.unmodifiableMap(byId);
        this.addedByContent = Collections.unmodifiableMap(byContent);
        this.rawAddedTokens = new AddedTokenMatcher(raw);
        this.normalizedAddedTokens = new AddedTokenMatcher(normalized);
        this.vocabSize = maxId + 1;
    }

    /**
     * Loads a tokenizer from a model directory (holding {@code tokenizer.json}) or from the
     * {@code tokenizer.json} file itself.
     *
     * @throws TokenizerFormatException if the file is missing, malformed or uses an unsupported feature
     */
    public static Tokenizer load(Path directoryOrFile) {
        return TokenizerLoader.load(directoryOrFile);
    }

    /** Encodes text as Hugging Face's {@code encode(text, add_special_tokens=False)}: special tokens in the text are recognized, no BOS is added. */
    public int[] encode(String text) {
        return encode(text, false, true);
    }

    /**
     * Encodes text.
     *
     * @param addSpecialTokens   apply the post-processor's template (Llama-3: prepend
     *                           {@code <|begin_of_text|>}), as Hugging Face's {@code add_special_tokens}
     * @param parseSpecialTokens recognize special added tokens written in the text; when false they
     *                           are encoded as ordinary text (Hugging Face's {@code split_special_tokens=True}).
     *                           Non-special added tokens are always recognized, as in Hugging Face.
     */
    public int[] encode(String text, boolean addSpecialTokens, boolean parseSpecialTokens) {
        IntList ids = new IntList(Math.max(16, text.length() / 3));
        List<String> pieces = new ArrayList<>();
        rawAddedTokens.split(text, parseSpecialTokens, new AddedTokenMatcher.Sink() {
            @Override
            public void text(String s, int start, int end) {
                String segment = s.substring(start, end);
                String normalizedSegment = normalizer == null ? segment : normalizer.apply(segment);
                if (normalizedAddedTokens.isEmpty()) {
                    encodeSegment(normalizedSegment, start == 0, pieces, ids);
                    return;
                }
                normalizedAddedTokens.split(normalizedSegment, parseSpecialTokens, new AddedTokenMatcher.Sink() {
                    @Override
                    public void text(String s2, int start2, int end2) {
                        encodeSegment(s2.substring(start2, end2), start == 0 && start2 == 0, pieces, ids);
                    }

                    @Override
                    public void token(AddedToken token) {
                        ids.add(token.id());
                    }
                });
            }

            @Override
            public void token(AddedToken token) {
                ids.add(token.id());
            }
        });
        return postProcessor.apply(ids.toArray(), addSpecialTokens);
    }

    /** What the post-processor adds around already encoded ids (Llama-3: BOS first; others: nothing). */
    public int[] addSpecialTokens(int[] ids) {
        return postProcessor.apply(ids, true);
    }

    /** The ids the post-processor puts before a text (Llama-2, Llama-3: their BOS; Qwen, Yi: none). */
    int[] idsBeforeText() {
        int[] templated = postProcessor.apply(new int[] {-1}, true);
        int k = 0;
        while (templated[k] != -1) k++;
        return java.util.Arrays.copyOf(templated, k);
    }

    /** @param textStart the segment begins the text (Metaspace's prepend_scheme "first" needs it) */
    private void encodeSegment(String segment, boolean textStart, List<String> pieces, IntList ids) {
        pieces.clear();
        preTokenizer.split(segment, textStart, pieces);
        for (String piece : pieces) model.encode(piece, ids);
    }

    /** Decodes ids to text, special tokens included (Hugging Face's {@code decode(ids)}). */
    public String decode(int[] ids) {
        return decode(ids, false);
    }

    /**
     * Decodes ids to text as Hugging Face's {@code decode(ids, skip_special_tokens)} does with the
     * file's decoder (no clean-up of spaces).
     *
     * @param skipSpecialTokens leave out special added tokens (Hugging Face's {@code skip_special_tokens})
     * @throws IllegalArgumentException for an id outside the vocabulary (Hugging Face would drop it silently)
     */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        Decoder.Session session = decoder.start();
        StringBuilder text = new StringBuilder(ids.length * 4);
        for (int id : ids) {
            String token = tokenForDecoding(id, skipSpecialTokens);
            if (token != null) text.append(session.push(token));
        }
        return text.append(session.finish()).toString();
    }

    /**
     * The string the decoder gets for an id (an added token's content, else the vocabulary
     * entry), or null when {@code skipSpecialTokens} leaves it out. As in Hugging Face, a token
     * is special when its string is the content of a special added token.
     */
    String tokenForDecoding(int id, boolean skipSpecialTokens) {
        AddedToken added = addedById.get(id);
        String token = added != null ? added.content() : model.token(id);
        if (token == null) {
            throw new IllegalArgumentException("token id " + id + " is not in the vocabulary of " + source
                    + " (ids are 0.." + (vocabSize - 1) + "); was the model's output decoded with another model's tokenizer?");
        }
        if (skipSpecialTokens) {
            AddedToken byContent = added != null ? added : addedByContent.get(token);
            if (byContent != null && byContent.special()) return null;
        }
        return token;
    }

    Decoder decoder() {
        return decoder;
    }

    /** The vocabulary entry of an id as written in tokenizer.json ("Ġthe" byte-level, "▁the" SentencePiece-style), or empty. */
    public Optional<String> token(int id) {
        AddedToken added = addedById.get(id);
        if (added != null) return Optional.of(added.content());
        return Optional.ofNullable(model.token(id));
    }

    /** The id of a vocabulary entry or added token written as in tokenizer.json, or empty. */
    public OptionalInt tokenId(String token) {
        AddedToken added = addedByContent.get(token);
        if (added != null) return OptionalInt.of(added.id());
        Integer id = model.id(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** The id of an added token (special or not), e.g. {@code "<|eot_id|>"}, or empty. */
    public OptionalInt addedTokenId(String content) {
        AddedToken added = addedByContent.get(content);
        return added == null ? OptionalInt.empty() : OptionalInt.of(added.id());
    }

    /** The added tokens, in id order. */
    public List<AddedToken> addedTokens() {
        return addedById.values().stream().sorted(java.util.Comparator.comparingInt(AddedToken::id)).toList();
    }

    public boolean isSpecial(int id) {
        AddedToken t = addedById.get(id);
        return t != null && t.special();
    }

    /** One more than the largest id (model vocabulary and added tokens). */
    public int vocabSize() {
        return vocabSize;
    }

    /** The BOS token id named by tokenizer_config.json's bos_token, if any. */
    public OptionalInt bosId() {
        return bosToken == null ? OptionalInt.empty() : tokenId(bosToken);
    }

    /** The EOS token id named by tokenizer_config.json's eos_token, if any. */
    public OptionalInt eosId() {
        return eosToken == null ? OptionalInt.empty() : tokenId(eosToken);
    }

    /** Empties the internal cache of encoded pieces (only measurements need this). */
    void clearCache() {
        model.clearCache();
    }

    /** Where this tokenizer was loaded from. */
    public String source() {
        return source;
    }

    @Override
    public String toString() {
        return "Tokenizer[" + source + ", " + vocabSize + " ids, " + addedById.size() + " added tokens]";
    }
}
