package org.apbj.tokenizer;

import java.util.List;

/** The text normalizers of tokenizer.json that byte-level BPE models use. */
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

    record Sequence(List<Normalizer> normalizers) implements Normalizer {
        @Override
        public String apply(String text) {
            for (Normalizer n : normalizers) text = n.apply(text);
            return text;
        }
    }
}
