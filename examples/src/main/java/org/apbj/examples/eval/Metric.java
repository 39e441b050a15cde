package org.apbj.examples.eval;

import java.util.Locale;

/** How a prediction is scored (see {@link Scoring}). */
public enum Metric {
    /** RULER string_match_all (niah, vt, cwe, fwe). */
    ALL,
    /** RULER string_match_part (qa). */
    PART,
    /** InfiniteBench first-integer string match (passkey, number_string). */
    FIRST_NUMBER,
    /** InfiniteBench math_find: first number, compared numerically. */
    NUMBER_VALUE,
    /** InfiniteBench kv_retrieval: the label is one of the words. */
    WORD;

    /** The name used in JSON: all, part, first_number, number_value, word. */
    public String id() { return name().toLowerCase(Locale.ROOT); }

    public static Metric parse(String s) {
        for (Metric m : values()) if (m.id().equalsIgnoreCase(s.trim())) return m;
        throw new IllegalArgumentException("unknown metric '" + s
                + "': use all, part, first_number, number_value or word");
    }
}
