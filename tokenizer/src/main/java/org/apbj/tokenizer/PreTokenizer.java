package org.apbj.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The pre-tokenizers of tokenizer.json: they cut a text segment into pieces, each of which the
 * BPE model encodes on its own.
 */
sealed interface PreTokenizer permits PreTokenizer.Split, PreTokenizer.ByteLevelSplit, PreTokenizer.Metaspace,
        PreTokenizer.Sequence, LlamaPatternSplit {
    /** Appends the pieces of {@code text}, a text on its own, in order, to {@code out}. */
    void split(String text, List<String> out);

    /**
     * Appends the pieces of {@code text}, a segment of the encoded input (the stretches between
     * added tokens are segments). {@code textStart}: the segment begins the input; only
     * Metaspace with {@code prepend_scheme: "first"} tells that apart.
     */
    default void split(String text, boolean textStart, List<String> out) {
        split(text, out);
    }

    /** How a Split pre-tokenizer treats the pattern's matches (Hugging Face's SplitDelimiterBehavior). */
    enum Behavior { REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS }

    /** GPT-2's pattern, which ByteLevel applies itself when use_regex is true. */
    String GPT2_REGEX = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    record Split(Pattern pattern, Behavior behavior, boolean invert) implements PreTokenizer {
        @Override
        public void split(String text, List<String> out) {
            if (behavior == Behavior.ISOLATED && !invert) {
                splitIsolated(text, out);
                return;
            }
            // General path: (start, end, isMatch) spans covering the text, then grouped as HF does.
            List<int[]> spans = new ArrayList<>();
            Matcher m = pattern.matcher(text);
            int last = 0;
            while (m.find()) {
                if (m.end() == m.start()) continue;
                if (m.start() > last) spans.add(new int[] {last, m.start(), invert ? 1 : 0});
                spans.add(new int[] {m.start(), m.end(), invert ? 0 : 1});
                last = m.end();
            }
            if (last < text.length()) spans.add(new int[] {last, text.length(), invert ? 1 : 0});
            List<int[]> merged = new ArrayList<>();
            switch (behavior) {
                case ISOLATED -> merged.addAll(spans);
                case REMOVED -> spans.stream().filter(s -> s[2] == 0).forEach(merged::add);
                case CONTIGUOUS -> {
                    boolean previousMatch = false;
                    for (int[] s : spans) {
                        boolean isMatch = s[2] == 1;
                        if (isMatch == previousMatch && !merged.isEmpty()) merged.getLast()[1] = s[1];
                        else merged.add(s.clone());
                        previousMatch = isMatch;
                    }
                }
                case MERGED_WITH_PREVIOUS -> {
                    boolean previousMatch = false;
                    for (int[] s : spans) {
                        boolean isMatch = s[2] == 1;
                        if (isMatch && !previousMatch && !merged.isEmpty()) merged.getLast()[1] = s[1];
                        else merged.add(s.clone());
                        previousMatch = isMatch;
                    }
                }
                case MERGED_WITH_NEXT -> {
                    boolean previousMatch = false;
                    for (int i = spans.size() - 1; i >= 0; i--) {
                        int[] s = spans.get(i);
                        boolean isMatch = s[2] == 1;
                        if (isMatch && !previousMatch && !merged.isEmpty()) merged.getLast()[0] = s[0];
                        else merged.add(s.clone());
                        previousMatch = isMatch;
                    }
                    java.util.Collections.reverse(merged);
                }
            }
            for (int[] s : merged) if (s[1] > s[0]) out.add(text.substring(s[0], s[1]));
        }

        private void splitIsolated(String text, List<String> out) {
            Matcher m = pattern.matcher(text);
            int last = 0;
            while (m.find()) {
                int start = m.start(), end = m.end();
                if (end == start) continue;
                if (start > last) out.add(text.substring(last, start));
                out.add(text.substring(start, end));
                last = end;
            }
            if (last < text.length()) out.add(text.substring(last));
        }
    }

    /**
     * The ByteLevel pre-tokenizer. The byte-to-character mapping it also performs is done by the
     * BPE model directly on UTF-8 bytes, so here it only adds the prefix space and, with
     * use_regex, splits with GPT-2's pattern.
     */
    record ByteLevelSplit(boolean addPrefixSpace, Split gpt2Split) implements PreTokenizer {
        static ByteLevelSplit of(boolean addPrefixSpace, boolean useRegex) {
            Split split = useRegex ? new Split(OnigurumaPatterns.compile(GPT2_REGEX), Behavior.ISOLATED, false) : null;
            return new ByteLevelSplit(addPrefixSpace, split);
        }

        @Override
        public void split(String text, List<String> out) {
            if (addPrefixSpace && !text.isEmpty() && text.charAt(0) != ' ') text = " " + text;
            if (gpt2Split != null) gpt2Split.split(text, out);
            else if (!text.isEmpty()) out.add(text);
        }
    }

    /**
     * SentencePiece's Metaspace: spaces become {@code replacement} ("▁"); a segment not starting
     * with it gets it prepended (scheme ALWAYS; FIRST: only the segment that begins the input;
     * NEVER); with {@code split}, each "▁" then starts a new piece.
     */
    record Metaspace(char replacement, PrependScheme prependScheme, boolean split) implements PreTokenizer {
        enum PrependScheme { ALWAYS, FIRST, NEVER }

        @Override
        public void split(String text, List<String> out) {
            split(text, true, out);
        }

        @Override
        public void split(String text, boolean textStart, List<String> out) {
            String s = text.replace(' ', replacement);
            boolean prepend = prependScheme == PrependScheme.ALWAYS || (prependScheme == PrependScheme.FIRST && textStart);
            if (prepend && !s.isEmpty() && s.charAt(0) != replacement) s = replacement + s;
            if (!split) {
                if (!s.isEmpty()) out.add(s);
                return;
            }
            // Each replacement character starts a piece (Hugging Face: split on it, MergedWithNext).
            int start = 0;
            for (int i = 1; i < s.length(); i++) {
                if (s.charAt(i) == replacement) {
                    out.add(s.substring(start, i));
                    start = i;
                }
            }
            if (start < s.length()) out.add(s.substring(start));
        }
    }

    record Sequence(List<PreTokenizer> stages) implements PreTokenizer {
        @Override
        public void split(String text, List<String> out) {
            split(text, true, out);
        }

        /** Each stage splits the pieces of the one before; only a first piece can begin the input. */
        @Override
        public void split(String text, boolean textStart, List<String> out) {
            if (stages.isEmpty()) {
                if (!text.isEmpty()) out.add(text);
                return;
            }
            List<String> current = List.of(text);
            for (int i = 0; i < stages.size(); i++) {
                List<String> next = i == stages.size() - 1 ? out : new ArrayList<>(current.size() * 2);
                for (int j = 0; j < current.size(); j++) stages.get(i).split(current.get(j), textStart && j == 0, next);
                current = next;
            }
        }
    }
}
