package org.apbj.examples.eval.tasks;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.SplittableRandom;
import org.apbj.examples.eval.Draft;
import org.apbj.examples.eval.Parts;

/**
 * RULER frequent words extraction (freq_words_extraction.py): 2000 random 6-letter "coded" words
 * drawn with Zipf frequencies (count of rank k = floor(n·k^-alpha / zeta(alpha)), alpha = 2);
 * the answer is the three most frequent. Quirk kept: the top-ranked word is replaced by "..."
 * (noise the prompt tells the model to ignore), so the answer is ranks 2-4. The filler unit is
 * 10 words of n (RULER's increment).
 */
public final class FrequentWordsDraft implements Draft {
    static final String INSTRUCTION =
            "Read the following coded text and track the frequency of each coded word. Find the three most frequently appeared coded words. ";
    static final String QUESTION =
            "\nQuestion: Do not provide any explanation. Please ignore the dots '....'. What are the three most frequently appeared words in the above coded text?";
    static final String ANSWER_PREFIX = "Answer: According to the coded text above, the three most frequently appeared words are:";

    static final int VOCAB = 2000, WORD_LENGTH = 6, INCREMENT = 10;
    static final double ALPHA = 2.0;
    static final double ZETA_2 = Math.PI * Math.PI / 6; // scipy.special.zeta(2.0)

    private final List<String> vocab;
    private final long shuffleSeed;

    public FrequentWordsDraft(SplittableRandom r) {
        LinkedHashSet<String> set = new LinkedHashSet<>();
        while (set.size() < VOCAB) {
            StringBuilder w = new StringBuilder();
            for (int i = 0; i < WORD_LENGTH; i++) w.append((char) ('a' + r.nextInt(26)));
            set.add(w.toString());
        }
        List<String> v = new ArrayList<>(set);
        v.sort(null);
        NiahDraft.shuffle(v, r);
        v.set(0, "...");
        vocab = List.copyOf(v);
        shuffleSeed = r.nextLong();
    }

    @Override
    public Parts build(int fillerUnits, double[] needleFractions) {
        long n = (long) fillerUnits * INCREMENT;
        List<String> text = new ArrayList<>();
        for (int k = 1; k <= vocab.size(); k++) {
            int count = (int) (n * Math.pow(k, -ALPHA) / ZETA_2);
            for (int c = 0; c < count; c++) text.add(vocab.get(k - 1));
        }
        NiahDraft.shuffle(text, new SplittableRandom(shuffleSeed));
        return Parts.plain(INSTRUCTION + String.join(" ", text), QUESTION, ANSWER_PREFIX);
    }

    /** Enough words that ranks 2, 3, 4 have distinct counts (n/4, n/9, n/16 of n/zeta). */
    @Override public int minFiller() { return 10; }
    @Override public int needles() { return 0; }
    @Override public double[] initialFractions() { return new double[0]; }
    @Override public List<String> outputs() { return vocab.subList(1, 4); }
}
