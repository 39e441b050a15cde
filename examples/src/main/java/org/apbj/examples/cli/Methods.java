package org.apbj.examples.cli;

import java.util.ArrayList;
import java.util.List;
import org.apbj.parallel.strategy.Method;

/** Comma lists of methods on the command line: "apb,dense". */
final class Methods {
    private Methods() {}

    static List<Method> parseList(String csv) {
        List<Method> out = new ArrayList<>();
        for (String p : csv.split(",")) if (!p.isBlank() && !out.contains(Method.parse(p))) out.add(Method.parse(p));
        if (out.isEmpty()) throw new IllegalArgumentException("no methods in '" + csv + "'");
        return out;
    }
}
