package org.apbj.examples.eval.tasks;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import org.apbj.examples.eval.Draft;
import org.apbj.examples.eval.Filler;
import org.apbj.examples.eval.Parts;
import org.apbj.examples.eval.Style;
import org.apbj.examples.eval.Values;
import org.apbj.examples.eval.Weave;

/**
 * RULER's needle-in-a-haystack family (niah.py): needles "One of the special magic {type} for
 * {key} is: {value}." in a noise, essay or needle haystack; numK keys with numV values each,
 * numQ of the keys asked for.
 */
public final class NiahDraft implements Draft {

    public enum Haystack { NOISE, ESSAY, NEEDLE }

    static final String NEEDLE = "One of the special magic %s for %s is: %s.";
    static final String INSTRUCTION =
            "Some special magic %s are hidden within the following text. Make sure to memorize it. I will quiz you about the %s afterwards.";
    static final String QUESTION = "What are all the special magic %s for %s mentioned in the provided text?";
    static final String ANSWER_PREFIX = "The special magic %s for %s mentioned in the provided text are";

    private final Style style;
    private final Haystack haystack;
    private final String typeK;
    private final String typeV;
    private final List<String> needles = new ArrayList<>();
    private final List<String> answers = new ArrayList<>();
    private final String query;
    private final int primary;
    private final double[] fractions;
    private final IntFunction<String> units;
    private final boolean singular;

    public NiahDraft(Style style, Haystack haystack, String typeK, String typeV, int numK, int numV, int numQ,
                     SplittableRandom r) {
        this.style = style;
        this.haystack = haystack;
        this.typeK = typeK;
        this.typeV = typeV;
        numK = Math.max(numK, numQ);
        List<String> keys = new ArrayList<>();
        List<List<String>> values = new ArrayList<>();
        List<String> ordered = new ArrayList<>();
        while (keys.size() < numK) {
            String k = Values.ofType(typeK, r);
            if (keys.contains(k)) continue;
            keys.add(k);
            List<String> vs = new ArrayList<>();
            for (int v = 0; v < numV; v++) {
                vs.add(Values.ofType(typeV, r));
                ordered.add(NEEDLE.formatted(typeV, k, vs.getLast()));
            }
            values.add(vs);
        }
        // RULER shuffles the needles (with its fixed global seed); here with the sample's stream.
        List<String> shuffled = new ArrayList<>(ordered);
        shuffle(shuffled, r);
        needles.addAll(shuffled);
        List<Integer> asked = sample(numK, numQ, r);
        List<String> queries = new ArrayList<>();
        for (int i : asked) {
            queries.add(keys.get(i));
            answers.addAll(values.get(i));
        }
        query = queries.size() > 1
                ? String.join(", ", queries.subList(0, queries.size() - 1)) + ", and " + queries.getLast()
                : queries.getFirst();
        primary = needles.indexOf(NEEDLE.formatted(typeV, keys.get(asked.getFirst()), values.get(asked.getFirst()).getFirst()));
        fractions = new double[needles.size()];
        for (int i = 0; i < fractions.length; i++) fractions[i] = r.nextDouble();
        SplittableRandom fillerStream = r.split();
        units = switch (haystack) {
            case NOISE -> style == Style.TINY_NIAH ? Filler.noiseSentences() : Filler.noiseParagraphs();
            case ESSAY -> Filler.essay(fillerStream);
            case NEEDLE -> Filler.growing(() -> NEEDLE.formatted(typeV, Values.ofType(typeK, fillerStream),
                    Values.ofType(typeV, fillerStream)));
        };
        // RULER's quirk: with one needle asked for and one value, the template goes singular by
        // plain substring replacement (see singular()); the needles keep the plural type word.
        singular = style == Style.REFERENCE && numQ * numV == 1;
    }

    @Override
    public Parts build(int fillerUnits, double[] needleFractions) {
        String lead = style == Style.TINY_NIAH ? " " : "";
        String sep = haystack == Haystack.ESSAY || style == Style.TINY_NIAH ? " " : "\n";
        Weave.Woven w = Weave.weave(units, fillerUnits, needles, needleFractions, lead, sep);
        String type = singular ? typeV.substring(0, typeV.length() - 1) : typeV;
        String instruction = INSTRUCTION.formatted(type, type) + "\n";
        String question = "\n" + QUESTION.formatted(type, query);
        String prefix = ANSWER_PREFIX.formatted(type, query);
        if (singular) {
            instruction = singular(instruction);
            question = singular(question);
            prefix = singular(prefix);
        }
        return Parts.of(instruction, w, "", question, prefix);
    }

    /**
     * RULER niah.py for num_needle_q × num_needle_v == 1: replace 'Some'→'A', 'are all'→'is',
     * 'are'→'is', 'answers'→'answer' anywhere in the template (substrings, so a word containing
     * "are" would change too).
     */
    static String singular(String template) {
        return template.replace("Some", "A").replace("are all", "is").replace("are", "is").replace("answers", "answer");
    }

    @Override public int needles() { return needles.size(); }
    @Override public int primaryNeedle() { return primary; }
    @Override public double[] initialFractions() { return fractions.clone(); }
    @Override public List<String> outputs() { return List.copyOf(answers); }

    static <T> void shuffle(List<T> list, SplittableRandom r) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            T t = list.get(i);
            list.set(i, list.get(j));
            list.set(j, t);
        }
    }

    /** k distinct indices of [0, n), in draw order (Python's random.sample). */
    static List<Integer> sample(int n, int k, SplittableRandom r) {
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < n; i++) all.add(i);
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < k; i++) out.add(all.remove(r.nextInt(all.size())));
        return out;
    }

}
