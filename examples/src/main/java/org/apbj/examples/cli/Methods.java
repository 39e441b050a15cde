package org.apbj.examples.cli;

import java.util.ArrayList;
import java.util.List;
import org.apbj.parallel.strategy.Method;

/** Comma lists of methods on the command line: "apb,dense". */
final class Methods {
    private Methods() {}

    static List<Method> parseList(String csv) {
        List<Method> out = new ArrayList<>();
        try {
            for (String p : csv.split(",")) if (!p.isBlank() && !out.contains(Method.parse(p))) out.add(Method.parse(p));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--methods: " + e.getMessage(), e);
        }
        if (out.isEmpty()) throw new IllegalArgumentException("--methods '" + csv + "' names no method: give a comma list of apb, star, ring, dense");
        return out;
    }
}
