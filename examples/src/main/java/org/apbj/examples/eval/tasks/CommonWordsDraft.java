package org.apbj.examples.eval.tasks;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import org.apbj.examples.eval.Draft;
import org.apbj.examples.eval.Filler;
import org.apbj.examples.eval.Lexicon;
import org.apbj.examples.eval.Parts;

/**
 * RULER common words extraction (common_words_extraction.py): a numbered list where 10 words
 * appear 30 times each and every other word 3 times; the answer is the 10 common words. The
 * filler unit is one more uncommon word. Words come from the pseudo-word {@link Lexicon} (RULER
 * uses an English word list); RULER's in-context example is not generated.
 */
public final class CommonWordsDraft implements Draft {
    static final String INSTRUCTION =
            "Below is a numbered list of words. In these words, some appear more often than others. Memorize the ones that appear most often.\n";
    static final String QUESTION = "\nQuestion: What are the 10 most common words in the above list?";
    static final String ANSWER_PREFIX = "Answer: The top 10 words that appear most often in the list are:";

    static final int COMMON = 10, COMMON_REPEATS = 30, UNCOMMON_REPEATS = 3;

    private final IntFunction<String> words;
    private final long shuffleSeed;

    public CommonWordsDraft(SplittableRandom r) {
        SplittableRandom wordStream = r.split();
        LinkedHashSet<String> seen = new LinkedHashSet<>();
        Lexicon lex = Lexicon.get();
        // Distinct words: single pseudo-words first, then two-word compounds once those run out.
        words = Filler.growing(() -> {
            while (true) {
                String w = seen.size() < Lexicon.SIZE * 3 / 4 ? lex.any(wordStream) : lex.any(wordStream) + lex.any(wordStream);
                if (seen.add(w)) return w;
            }
        });
        shuffleSeed = r.nextLong();
    }

    @Override
    public Parts build(int fillerUnits, double[] needleFractions) {
        List<String> list = new ArrayList<>();
        for (int i = 0; i < COMMON; i++) for (int k = 0; k < COMMON_REPEATS; k++) list.add(words.apply(i));
        for (int i = 0; i < fillerUnits; i++) for (int k = 0; k < UNCOMMON_REPEATS; k++) list.add(words.apply(COMMON + i));
        NiahDraft.shuffle(list, new SplittableRandom(shuffleSeed)); // same order for the same list on every build
        StringBuilder sb = new StringBuilder(INSTRUCTION);
        for (int i = 0; i < list.size(); i++) {
            if (i > 0) sb.append(' ');
            sb.append(i + 1).append(". ").append(list.get(i));
        }
        return Parts.plain(sb.toString(), QUESTION, ANSWER_PREFIX);
    }

    @Override public int needles() { return 0; }
    @Override public double[] initialFractions() { return new double[0]; }

    @Override
    public List<String> outputs() {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < COMMON; i++) out.add(words.apply(i));
        return out;
    }
}
