package org.apbj.examples.eval;

import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The reference scoring functions, as RULER and InfiniteBench define them. Each returns a score in
 * [0, 1] for one prediction; suites report the mean × 100.
 */
public final class Scoring {
    private Scoring() {}

    private static final Pattern CONTROL = Pattern.compile("[\\x00-\\x1f]");

    /**
     * RULER's postprocess_pred: strip, turn every control character (tab and newline included)
     * into a newline, strip again.
     */
    public static String rulerPostprocess(String prediction) {
        return CONTROL.matcher(prediction.strip()).replaceAll("\n").strip();
    }

    /** RULER string_match_all: the share of references that occur in the prediction, case-insensitively. */
    public static double stringMatchAll(String prediction, List<String> references) {
        requireReferences(references);
        String p = prediction.toLowerCase(Locale.ROOT);
        int hits = 0;
        for (String r : references) if (p.contains(r.toLowerCase(Locale.ROOT))) hits++;
        return (double) hits / references.size();
    }

    /** RULER string_match_part: 1 if any reference occurs in the prediction, case-insensitively. */
    public static double stringMatchPart(String prediction, List<String> references) {
        requireReferences(references);
        String p = prediction.toLowerCase(Locale.ROOT);
        for (String r : references) if (p.contains(r.toLowerCase(Locale.ROOT))) return 1;
        return 0;
    }

    /**
     * InfiniteBench first_int_match: the first run of ASCII digits, as a string ("" if none).
     * A sign or a decimal point ends the run: "-3.5" gives "3".
     */
    public static String firstIntMatch(String prediction) {
        int i = 0, n = prediction.length();
        while (i < n && !isAsciiDigit(prediction.charAt(i))) i++;
        int start = i;
        while (i < n && isAsciiDigit(prediction.charAt(i))) i++;
        return prediction.substring(start, i);
    }

    /**
     * InfiniteBench passkey / number_string: the label equals the first digit run, compared as
     * strings. Quirk kept on purpose: a label with a leading zero ("07342") needs the zero in the
     * prediction; "7342" scores 0.
     */
    public static double firstNumber(String prediction, String label) {
        return label.equals(firstIntMatch(prediction)) ? 1 : 0;
    }

    /**
     * InfiniteBench kv_retrieval: after replacing newline : " ' . , ? ! { } by spaces, the label
     * is one of the whitespace-separated words (a prefix or a longer word does not count).
     */
    public static double wordMatch(String prediction, String label) {
        String p = prediction;
        for (String c : List.of("\n", ":", "\"", "'", ".", ",", "?", "!", "{", "}")) p = p.replace(c, " ");
        for (String w : p.trim().split("\\s+")) if (w.equals(label)) return 1;
        return 0;
    }

    private static final Pattern FIRST_NUMBER = Pattern.compile("\\d+\\.\\d+|\\d+");

    /**
     * InfiniteBench math_find: the first number in the prediction (regex \d+\.\d+|\d+, so signs
     * are ignored) equals the label numerically. With an integer label the reference calls
     * int() on the match, which raises on "3.5" and aborts the whole evaluation; here that
     * sample scores 0 instead.
     */
    public static double numberValue(String prediction, String label) {
        Matcher m = FIRST_NUMBER.matcher(prediction);
        if (!m.find()) return 0;
        String found = m.group();
        boolean intLabel = !label.contains(".");
        if (intLabel) {
            if (found.contains(".")) return 0;
            return new java.math.BigInteger(found).equals(new java.math.BigInteger(label.strip())) ? 1 : 0;
        }
        return Double.parseDouble(found) == Double.parseDouble(label) ? 1 : 0;
    }

    /** Score of one prediction under {@code metric}; RULER metrics see the RULER-postprocessed prediction. */
    public static double score(Metric metric, String prediction, List<String> references) {
        requireReferences(references);
        return switch (metric) {
            case ALL -> stringMatchAll(rulerPostprocess(prediction), references);
            case PART -> stringMatchPart(rulerPostprocess(prediction), references);
            case FIRST_NUMBER -> firstNumber(prediction, references.getFirst());
            case NUMBER_VALUE -> numberValue(prediction, references.getFirst());
            case WORD -> wordMatch(prediction, references.getFirst());
        };
    }

    /** Mean of per-sample scores × 100, rounded to 2 decimals like RULER. */
    public static double percent(List<Double> scores) {
        if (scores.isEmpty()) return Double.NaN;
        double sum = 0;
        for (double s : scores) sum += s;
        return Math.round(sum / scores.size() * 100 * 100) / 100.0;
    }

    private static boolean isAsciiDigit(char c) { return c >= '0' && c <= '9'; }

    private static void requireReferences(List<String> references) {
        if (references == null || references.isEmpty()) {
            throw new IllegalArgumentException("a sample needs at least one reference output to be scored");
        }
    }

}
