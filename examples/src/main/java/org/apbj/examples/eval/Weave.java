package org.apbj.examples.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/** Joins filler units with needles inserted between them, remembering where each needle starts. */
public final class Weave {
    private Weave() {}

    public record Woven(String text, List<Integer> starts, List<Integer> ends) {}

    /** Unit slot for a fraction of m units: round(f × m), clamped to [0, m]. */
    public static int slot(double fraction, int m) {
        return (int) Math.max(0, Math.min(m, Math.round(fraction * m)));
    }

    /**
     * {@code lead} + the m units joined by {@code sep}, needle i inserted before unit
     * slot(fractions[i], m) (needles sharing a slot keep their order).
     */
    public static Woven weave(IntFunction<String> unit, int m, List<String> needles, double[] fractions,
                       String lead, String sep) {
        int[] slots = new int[needles.size()];
        for (int i = 0; i < slots.length; i++) slots[i] = slot(fractions[i], m);
        StringBuilder sb = new StringBuilder(lead);
        List<Integer> starts = new ArrayList<>(needles.size()), ends = new ArrayList<>(needles.size());
        for (int i = 0; i < needles.size(); i++) { starts.add(-1); ends.add(-1); }
        boolean first = true;
        for (int s = 0; s <= m; s++) {
            for (int i = 0; i < slots.length; i++) {
                if (slots[i] != s) continue;
                if (!first) sb.append(sep);
                starts.set(i, sb.length());
                sb.append(needles.get(i));
                ends.set(i, sb.length());
                first = false;
            }
            if (s < m) {
                if (!first) sb.append(sep);
                sb.append(unit.apply(s));
                first = false;
            }
        }
        return new Woven(sb.toString(), starts, ends);
    }
}
