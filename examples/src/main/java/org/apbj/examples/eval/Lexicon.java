package org.apbj.examples.eval;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Pronounceable pseudo-words built from syllables, fixed for the life of the project (their own
 * seed), so that generated text needs no external word list. Split into parts of speech for the
 * pseudo-essay grammar; the same words make niah keys ("kraikive-toufrima" style) and cwe lists.
 */
public final class Lexicon {
    private static final String[] ONSETS = {"b", "br", "c", "cr", "d", "dr", "f", "fl", "g", "gr", "h", "k", "kr",
            "l", "m", "n", "p", "pl", "pr", "r", "s", "sh", "sk", "st", "t", "th", "tr", "v", "w", "z"};
    private static final String[] NUCLEI = {"a", "e", "i", "o", "u", "ai", "ou", "ee", "oa", "ie", "au"};
    private static final String[] CODAS = {"", "", "", "n", "r", "l", "s", "m", "k", "nd", "st", "ve", "ma", "x"};

    public static final int SIZE = 1500;
    private static final Lexicon INSTANCE = new Lexicon(0x5EEDL);

    private final List<String> words;

    private Lexicon(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        LinkedHashSet<String> set = new LinkedHashSet<>();
        while (set.size() < SIZE) {
            int syllables = 2 + r.nextInt(2);
            StringBuilder w = new StringBuilder();
            for (int s = 0; s < syllables; s++) {
                w.append(ONSETS[r.nextInt(ONSETS.length)]).append(NUCLEI[r.nextInt(NUCLEI.length)]);
                if (s == syllables - 1 || r.nextInt(3) == 0) w.append(CODAS[r.nextInt(CODAS.length)]);
            }
            if (w.length() >= 5 && w.length() <= 11) set.add(w.toString());
        }
        words = List.copyOf(new ArrayList<>(set));
    }

    public static Lexicon get() { return INSTANCE; }

    public List<String> words() { return words; }

    /** Nouns: the first 40%. */
    public String noun(SplittableRandom r) { return words.get(r.nextInt(600)); }
    /** Verbs (base form): the next 25%. */
    public String verb(SplittableRandom r) { return words.get(600 + r.nextInt(375)); }
    /** Adjectives: the next 25%. */
    public String adjective(SplittableRandom r) { return words.get(975 + r.nextInt(375)); }
    /** Names (capitalised on use): the last 10%. */
    public String name(SplittableRandom r) { return capitalise(words.get(1350 + r.nextInt(150))); }

    public String any(SplittableRandom r) { return words.get(r.nextInt(words.size())); }

    /** A niah key like RULER's adjective-noun words: "adjective-noun". */
    public String key(SplittableRandom r) { return adjective(r) + "-" + noun(r); }

    static String capitalise(String w) { return Character.toUpperCase(w.charAt(0)) + w.substring(1); }
}
