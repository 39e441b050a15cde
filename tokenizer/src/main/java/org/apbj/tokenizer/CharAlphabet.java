package org.apbj.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * SentencePiece-style BPE (Llama-2, Mistral, Yi) starts from one symbol per character (code
 * point) of the piece, as Hugging Face's {@code BPE::merge_word}: a character in the vocabulary
 * is its own id; one that is not becomes, with {@code byte_fallback}, the tokens
 * {@code <0xXX>} of its UTF-8 bytes (when all of them exist); otherwise the unknown token, and
 * with {@code fuse_unk} a run of unknown characters is a single unknown token. Without an
 * unknown token such a character is dropped, as in Hugging Face.
 */
final class CharAlphabet implements BpeAlphabet {
    /** Ids of single-character entries of the Basic Multilingual Plane; -1 where none. */
    private final int[] bmpIds = new int[0x10000];
    private final Map<Integer, Integer> supplementaryIds = new HashMap<>();
    /** Ids of the {@code <0xXX>} entries when byte_fallback is on; -1 where missing. */
    private final int[] byteFallbackIds = new int[256];
    private final boolean byteFallback;
    private final int unkId;
    private final boolean fuseUnk;

    /**
     * @param unkId -1 when the model has no unknown token
     */
    CharAlphabet(Map<String, Integer> vocab, boolean byteFallback, int unkId, boolean fuseUnk) {
        Arrays.fill(bmpIds, -1);
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            String token = e.getKey();
            if (token.isEmpty() || token.codePointCount(0, token.length()) != 1) continue;
            int cp = token.codePointAt(0);
            if (cp < 0x10000) bmpIds[cp] = e.getValue();
            else supplementaryIds.put(cp, e.getValue());
        }
        Arrays.fill(byteFallbackIds, -1);
        for (int b = 0; b < 256; b++) {
            Integer id = vocab.get(byteToken(b));
            if (id != null) byteFallbackIds[b] = id;
        }
        this.byteFallback = byteFallback;
        this.unkId = unkId;
        this.fuseUnk = fuseUnk;
    }

    /** The vocabulary entry of a fallback byte: {@code <0x0A>} for a newline. */
    static String byteToken(int b) {
        return String.format("<0x%02X>", b);
    }

    @Override
    public int[] symbols(String piece) {
        IntList ids = new IntList(piece.length());
        boolean unkPending = false;
        for (int i = 0; i < piece.length(); ) {
            int cp = piece.codePointAt(i);
            i += Character.charCount(cp);
            int id = cp < 0x10000 ? bmpIds[cp] : supplementaryIds.getOrDefault(cp, -1);
            if (id >= 0) {
                if (unkPending) ids.add(unkId);
                unkPending = false;
                ids.add(id);
            } else if (byteFallback && addFallbackBytes(cp, ids)) {
                // As Hugging Face: an unknown token still pending stays pending (it goes after these bytes).
            } else if (unkId >= 0) {
                if (unkPending && !fuseUnk) ids.add(unkId);
                unkPending = true;
            }
        }
        if (unkPending) ids.add(unkId);
        return ids.toArray();
    }

    /** Appends the byte tokens of a character, or nothing and false if one of them is missing. */
    private boolean addFallbackBytes(int cp, IntList ids) {
        byte[] bytes = Character.toString(cp).getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) if (byteFallbackIds[b & 0xFF] < 0) return false;
        for (byte b : bytes) ids.add(byteFallbackIds[b & 0xFF]);
        return true;
    }

    @Override
    public String vocabularyForm(String piece) {
        return piece;
    }
}
