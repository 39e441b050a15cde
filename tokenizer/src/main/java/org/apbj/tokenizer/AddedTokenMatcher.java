package org.apbj.tokenizer;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds added tokens in text as Hugging Face's AddedVocabulary does: leftmost match first, the
 * longest token among those starting there, matches not overlapping; then the lstrip, rstrip
 * and single_word flags.
 */
final class AddedTokenMatcher {
    /** Receives the text between matches and the matched tokens, in order. */
    interface Sink {
        void text(String text, int start, int end);

        void token(AddedToken token);
    }

    private static final class Node {
        final Map<Character, Node> children = new HashMap<>(4);
        AddedToken token;
    }

    private final Node root = new Node();
    private final boolean[] firstCharAscii = new boolean[128];
    private final boolean empty;

    AddedTokenMatcher(List<AddedToken> tokens) {
        for (AddedToken t : tokens) {
            if (t.content().isEmpty()) continue;
            Node n = root;
            for (int i = 0; i < t.content().length(); i++) n = n.children.computeIfAbsent(t.content().charAt(i), c -> new Node());
            n.token = t;
            char first = t.content().charAt(0);
            if (first < 128) firstCharAscii[first] = true;
        }
        empty = root.children.isEmpty();
    }

    boolean isEmpty() {
        return empty;
    }

    /** Splits {@code text} into plain stretches and added tokens; {@code parseSpecial=false} leaves special tokens as text. */
    void split(String text, boolean parseSpecial, Sink sink) {
        int n = text.length();
        int plainStart = 0;
        int i = 0;
        while (i < n && !empty) {
            char c = text.charAt(i);
            if (c < 128 && !firstCharAscii[c]) {
                i++;
                continue;
            }
            AddedToken found = null;
            int foundEnd = -1;
            Node node = root;
            for (int j = i; j < n; j++) {
                node = node.children.get(text.charAt(j));
                if (node == null) break;
                if (node.token != null) {
                    found = node.token;
                    foundEnd = j + 1;
                }
            }
            if (found == null) {
                i++;
                continue;
            }
            int start = i, end = foundEnd;
            // As HF with encode_special_tokens: the leftmost-longest match is found among all
            // added tokens; a special one is then skipped (left as text) and the scan resumes after it.
            if (found.special() && !parseSpecial) {
                i = end;
                continue;
            }
            if (found.singleWord() && (endsWithWordChar(text, start) || startsWithWordChar(text, end))) {
                i = end; // as HF: matches do not overlap, so scanning resumes after the rejected one
                continue;
            }
            if (found.lstrip()) {
                while (start > plainStart && OnigurumaPatterns.isWhiteSpace(Character.codePointBefore(text, start))) {
                    start -= Character.charCount(Character.codePointBefore(text, start));
                }
            }
            if (found.rstrip()) {
                while (end < n && OnigurumaPatterns.isWhiteSpace(text.codePointAt(end))) end += Character.charCount(text.codePointAt(end));
            }
            if (start > plainStart) sink.text(text, plainStart, start);
            sink.token(found);
            plainStart = end;
            i = end;
        }
        if (plainStart < n) sink.text(text, plainStart, n);
    }

    private static boolean endsWithWordChar(String text, int index) {
        return index > 0 && isWordChar(Character.codePointBefore(text, index));
    }

    private static boolean startsWithWordChar(String text, int index) {
        return index < text.length() && isWordChar(text.codePointAt(index));
    }

    /**
     * Unicode {@code \w} as Hugging Face tests it (Rust regex {@code \w}): Alphabetic, marks,
     * decimal digits, connector punctuation ('_') and the joiners.
     */
    private static boolean isWordChar(int cp) {
        if (Character.isAlphabetic(cp) || cp == 0x200C || cp == 0x200D) return true;
        return switch (Character.getType(cp)) {
            case Character.NON_SPACING_MARK, Character.COMBINING_SPACING_MARK, Character.ENCLOSING_MARK,
                 Character.DECIMAL_DIGIT_NUMBER, Character.CONNECTOR_PUNCTUATION -> true;
            default -> false;
        };
    }
}
