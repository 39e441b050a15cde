package org.apbj.tokenizer;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The text normalizers of tokenizer.json: Unicode forms (Qwen), and SentencePiece's Prepend and Replace (Llama-2, Yi). */
sealed interface Normalizer {
    String apply(String text);

    /** NFC, NFD, NFKC or NFKD. */
    record Unicode(java.text.Normalizer.Form form) implements Normalizer {
        @Override
        public String apply(String text) {
            // The check is cheap and most text (all ASCII) is already normalized.
            return java.text.Normalizer.isNormalized(text, form) ? text : java.text.Normalizer.normalize(text, form);
        }
    }

    /** Puts {@code prefix} before a non-empty text (SentencePiece's dummy prefix "▁"). */
    record Prepend(String prefix) implements Normalizer {
        @Override
        public String apply(String text) {
            return text.isEmpty() ? text : prefix + text;
        }
    }

    /**
     * Replaces every match of {@code pattern} with {@code content}, taken literally (" " by "▁").
     * Hugging Face uses the same Replace as a decoder step, and so does {@link SentencePieceDecoder}.
     */
    record Replace(Pattern pattern, String content) implements Normalizer {
        @Override
        public String apply(String text) {
            return pattern.matcher(text).replaceAll(Matcher.quoteReplacement(content));
        }
    }

    record Sequence(List<Normalizer> normalizers) implements Normalizer {
        @Override
        public String apply(String text) {
            for (Normalizer n : normalizers) text = n.apply(text);
            return text;
        }
    }
}
