package org.apbj.examples.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Stand-in for RULER's Paul Graham essays: sentences from a small English grammar over the
 * {@link Lexicon}'s pseudo-words. Deterministic from its random stream; the sentences are the
 * haystack's units (needles go between sentences, as RULER inserts them between the essays'
 * sentences).
 */
public final class PseudoEssay {
    private PseudoEssay() {}

    private static final String[] TEMPLATES = {
            "The {adj} {noun} {verb}s the {noun}.",
            "{Name} said that every {noun} should {verb} before the {adj} {noun} arrives.",
            "When the {noun} is {adj}, most {noun}s {verb} quietly.",
            "It is hard to {verb} a {noun} that nobody has ever seen.",
            "In {Name}'s view, the {adj} {noun} was never really about the {noun}.",
            "Some people {verb} because they want to, and others because the {noun} asks them to.",
            "A {noun} that can {verb} is worth more than two {adj} {noun}s.",
            "{Name} and {Name} spent a year learning to {verb} the {noun}.",
            "The best way to {verb} is to start with a {adj} {noun} and keep going.",
            "Nobody expected the {noun} to become so {adj}.",
            "If you {verb} the {noun} early, the {adj} part takes care of itself.",
            "Most {adj} ideas look like a {noun} at first.",
    };

    /** {@code count} sentences from {@code r}. */
    public static List<String> sentences(SplittableRandom r, int count) {
        Lexicon lex = Lexicon.get();
        List<String> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String t = TEMPLATES[r.nextInt(TEMPLATES.length)];
            StringBuilder s = new StringBuilder();
            int at = 0;
            while (true) {
                int open = t.indexOf('{', at);
                if (open < 0) { s.append(t, at, t.length()); break; }
                int close = t.indexOf('}', open);
                s.append(t, at, open);
                s.append(switch (t.substring(open + 1, close)) {
                    case "adj" -> lex.adjective(r);
                    case "noun" -> lex.noun(r);
                    case "verb" -> lex.verb(r);
                    case "Name" -> lex.name(r);
                    default -> throw new IllegalStateException("unknown slot in " + t);
                });
                at = close + 1;
            }
            out.add(s.toString());
        }
        return out;
    }
}
