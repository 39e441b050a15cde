package org.apbj.examples.cli;

import java.util.ArrayList;
import java.util.List;
import org.apbj.parallel.strategy.Method;
import org.apbj.parallel.transfer.CommPath;

/**
 * One rank job of {@code bench}: a method, how its device data travels between the ranks and
 * whether that overlaps compute, written {@code METHOD[@PATH][/no-overlap]} ("apb",
 * "ring/no-overlap", "apb@host", "apb@ipc"), so that one bench run can put the variants side by
 * side. {@code @ipc} needs rank processes, so its job runs through mpjrun.
 */
record BenchVariant(Method method, CommPath path, boolean overlap) {

    private static final String NO_OVERLAP = "/no-overlap";

    static BenchVariant of(Method m) { return new BenchVariant(m, CommPath.AUTO, true); }

    /** "apb", "ring/no-overlap", "apb@host/no-overlap": the name the tables, the JSON and the charts use. */
    String label() {
        return method.id() + (path == CommPath.AUTO ? "" : "@" + path.id()) + (overlap ? "" : NO_OVERLAP);
    }

    static BenchVariant parse(String spec) {
        String s = spec.strip();
        boolean overlap = !s.endsWith(NO_OVERLAP);
        if (!overlap) s = s.substring(0, s.length() - NO_OVERLAP.length());
        int at = s.indexOf('@');
        Method m = Method.parse(at < 0 ? s : s.substring(0, at));
        CommPath path = at < 0 ? CommPath.AUTO : CommPath.parse(s.substring(at + 1));
        if (path == CommPath.AUTO && at >= 0 && !s.substring(at + 1).strip().equalsIgnoreCase("auto")) {
            throw new IllegalArgumentException("'" + spec + "': no path after @; use @device, @ipc or @host");
        }
        if (m == Method.DENSE && (path != CommPath.AUTO || !overlap)) {
            throw new IllegalArgumentException("'" + spec + "': dense runs on one rank and communicates nothing; write plain 'dense'");
        }
        return new BenchVariant(m, path, overlap);
    }

    /** "apb,ring,ring/no-overlap,apb@host": each variant once, in order. */
    static List<BenchVariant> parseList(String csv) {
        List<BenchVariant> out = new ArrayList<>();
        try {
            for (String p : csv.split(",")) {
                if (p.isBlank()) continue;
                BenchVariant v = parse(p);
                if (!out.contains(v)) out.add(v);
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--methods: " + e.getMessage()
                    + " (give METHOD[@device|@ipc|@host][/no-overlap], METHOD one of apb, star, ring, dense)", e);
        }
        if (out.isEmpty()) throw new IllegalArgumentException("--methods '" + csv + "' names no method: give a comma list of apb, star, ring, dense");
        return out;
    }
}
