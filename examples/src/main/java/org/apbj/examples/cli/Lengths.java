package org.apbj.examples.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Token lengths as users write them: "4096", "16k" (= 16384), "1m" (= 1048576); comma lists. */
public final class Lengths {
    private Lengths() {}

    public static int parse(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        int mult = 1;
        if (s.endsWith("k")) { mult = 1 << 10; s = s.substring(0, s.length() - 1); }
        else if (s.endsWith("m")) { mult = 1 << 20; s = s.substring(0, s.length() - 1); }
        try {
            long v = Long.parseLong(s) * mult;
            if (v <= 0 || v > Integer.MAX_VALUE) throw new NumberFormatException();
            return (int) v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad token length '" + text
                    + "': write a positive count such as 4096, 16k or 128k");
        }
    }

    public static List<Integer> parseList(String csv) {
        List<Integer> out = new ArrayList<>();
        try {
            for (String part : csv.split(",")) {
                if (!part.isBlank()) out.add(parse(part));
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--lengths: " + e.getMessage(), e);
        }
        if (out.isEmpty()) throw new IllegalArgumentException("--lengths '" + csv + "' names no length: give e.g. 4k,16k");
        return out;
    }

    /** 16384 -> "16k", 1000 -> "1000". */
    public static String format(int n) {
        if (n % (1 << 20) == 0) return (n >> 20) + "m";
        if (n % (1 << 10) == 0) return (n >> 10) + "k";
        return Integer.toString(n);
    }
}
