package org.apbj.examples.eval.tasks;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import org.apbj.examples.eval.Draft;
import org.apbj.examples.eval.Filler;
import org.apbj.examples.eval.Parts;
import org.apbj.examples.eval.Weave;

/**
 * InfiniteBench math_find: the largest or smallest number of a long list. The extreme is unique
 * and is the needle (its depth is placed like any needle). The prompt prefix is built as
 * InfiniteBench's create_prompt does: "What is {target} in the following list?" with target =
 * the input's "The ... of" match lower-cased minus its last 3 characters (" of").
 */
public final class MathFindDraft implements Draft {
    private final boolean largest;
    private final int extreme;
    private final IntFunction<String> numbers;
    private final double fraction;

    public MathFindDraft(SplittableRandom r) {
        largest = r.nextBoolean();
        extreme = largest ? 50 + r.nextInt(50) : r.nextInt(50);
        fraction = r.nextDouble();
        SplittableRandom s = r.split();
        numbers = Filler.growing(() -> Integer.toString(largest ? s.nextInt(extreme) : extreme + 1 + s.nextInt(99 - extreme)));
    }

    String input() {
        return "You should answer with only one number, no other words. The " + (largest ? "largest" : "smallest")
                + " number of the list is: ";
    }

    static String prefix(String input) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("The .+ of").matcher(input);
        if (!m.find()) throw new IllegalStateException("no target in " + input);
        String target = m.group().toLowerCase(java.util.Locale.ROOT);
        return "What is " + target.substring(0, target.length() - 3) + " in the following list?";
    }

    @Override
    public Parts build(int fillerUnits, double[] needleFractions) {
        String input = input();
        String head = prefix(input) + "\n\n[";
        Weave.Woven w = Weave.weave(numbers, fillerUnits, List.of(Integer.toString(extreme)), needleFractions, "", ", ");
        int split = input.indexOf("The ");
        return Parts.of(head, w, "]", "\n\n" + input.substring(0, split).strip(), input.substring(split).strip());
    }

    @Override public int needles() { return 1; }
    @Override public double[] initialFractions() { return new double[] {fraction}; }
    @Override public List<String> outputs() { return List.of(Integer.toString(extreme)); }
}
