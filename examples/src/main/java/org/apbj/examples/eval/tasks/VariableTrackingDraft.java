package org.apbj.examples.eval.tasks;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import org.apbj.examples.eval.Draft;
import org.apbj.examples.eval.Filler;
import org.apbj.examples.eval.Parts;
import org.apbj.examples.eval.Style;
import org.apbj.examples.eval.Weave;

/**
 * RULER variable tracking (variable_tracking.py), one chain: "VAR A = 12345", then "VAR B = VAR A"
 * and so on for {@code hops} hops in noise; the answer is every variable holding the value.
 * RULER's in-context example before the task is not generated (see examples/README.md).
 */
public final class VariableTrackingDraft implements Draft {
    static final String INSTRUCTION = "Memorize and track the chain(s) of variable assignment hidden in the following text.\n\n";
    static final String QUESTION = "\nQuestion: Find all variables that are assigned the value %s in the text above.";
    // "assgined" is RULER's own spelling; kept so prompts match the reference.
    static final String ANSWER_PREFIX =
            "Answer: According to the chain(s) of variable assignment in the text above, %d variables are assgined the value %s, they are: ";

    private final Style style;
    private final List<String> vars;
    private final List<String> chain = new ArrayList<>();
    private final String value;
    private final int primary;
    private final double[] relative;

    public VariableTrackingDraft(Style style, int hops, SplittableRandom r) {
        this.style = style;
        LinkedHashSet<String> names = new LinkedHashSet<>();
        while (names.size() < hops + 1) {
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < 5; i++) s.append((char) ('A' + r.nextInt(26)));
            names.add(s.toString());
        }
        vars = List.copyOf(names);
        value = Integer.toString(10000 + r.nextInt(89999)); // np.random.randint(10000, 99999)
        // RULER writes "VAR B = VAR A " with a trailing space; joined by spaces here (tiny-niah) it is dropped.
        String tail = style == Style.REFERENCE ? " " : "";
        chain.add("VAR " + vars.get(0) + " = " + value);
        for (int j = 1; j <= hops; j++) chain.add("VAR " + vars.get(j) + " = VAR " + vars.get(j - 1) + tail);
        primary = r.nextInt(chain.size());
        relative = new double[chain.size()];
        for (int i = 0; i < relative.length; i++) relative[i] = r.nextDouble();
    }

    /**
     * Only the primary statement's fraction is free; the others keep the chain's order, spread
     * at their own relative places before and after it.
     */
    @Override
    public Parts build(int fillerUnits, double[] needleFractions) {
        double fp = needleFractions[primary];
        double[] f = new double[chain.size()];
        List<Double> before = new ArrayList<>(), after = new ArrayList<>();
        for (int j = 0; j < chain.size(); j++) {
            if (j < primary) before.add(relative[j] * fp);
            else if (j > primary) after.add(fp + relative[j] * (1 - fp));
        }
        before.sort(null);
        after.sort(null);
        for (int j = 0; j < chain.size(); j++) {
            f[j] = j < primary ? before.get(j) : j == primary ? fp : after.get(j - primary - 1);
        }
        IntFunction<String> units = style == Style.TINY_NIAH ? Filler.noiseSentences()
                : i -> Filler.NOISE_PARAGRAPH + "\n";
        String lead = style == Style.TINY_NIAH ? " " : "";
        String sep = style == Style.TINY_NIAH ? " " : "\n";
        Weave.Woven w = Weave.weave(units, fillerUnits, chain, f, lead, sep);
        // RULER then applies context.replace(". \n", ".\n"), which never matches these units.
        String prefix = ANSWER_PREFIX.formatted(chain.size(), value);
        // RULER's prefix ends in a space; tiny-niah's tokenizer starts each name's token with the
        // space, so there the prefix ends at the colon (with the space the model rambles).
        if (style == Style.TINY_NIAH) prefix = prefix.stripTrailing();
        return Parts.of(INSTRUCTION, w, "", QUESTION.formatted(value), prefix);
    }

    @Override public int needles() { return chain.size(); }
    @Override public int primaryNeedle() { return primary; }

    @Override
    public double[] initialFractions() {
        double[] f = new double[chain.size()];
        java.util.Arrays.fill(f, 0.5);
        return f;
    }

    @Override public List<String> outputs() { return vars; }
}
