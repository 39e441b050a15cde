package org.apbj.kernels.architecture;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.classfile.constantpool.PoolEntry;
import java.lang.classfile.constantpool.Utf8Entry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Which layers of the kernels module use which, read from compiled classes: every class named
 * in a class file's constant pool (class references, and descriptors and signatures, which name
 * the types of fields, parameters and generics). A layer is {@code org.apbj.kernels.X} with its
 * sub-packages ({@code jit.ptx} belongs to {@code jit}).
 */
final class PackageGraph {
    private PackageGraph() {}

    static final String ROOT = "org.apbj.kernels";
    private static final Pattern NAMED_TYPE = Pattern.compile("L(org/apbj/kernels/[\\w/$]+)[;<]");

    /** An edge with one class that makes it, for the message. */
    record Use(String fromClass, String toClass) {}

    /** layer → used layer → an example use, for every class file under {@code classesDir}. */
    static Map<String, Map<String, Use>> layers(Path classesDir) {
        Map<String, Map<String, Use>> graph = new TreeMap<>();
        try (Stream<Path> files = Files.walk(classesDir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                ClassModel cm = ClassFile.of().parse(Files.readAllBytes(f));
                String from = cm.thisClass().asInternalName().replace('/', '.');
                String fromLayer = layer(from);
                if (fromLayer == null) continue;
                graph.computeIfAbsent(fromLayer, k -> new TreeMap<>());
                for (String to : namedClasses(cm)) {
                    String toLayer = layer(to);
                    if (toLayer != null && !toLayer.equals(fromLayer)) {
                        graph.get(fromLayer).putIfAbsent(toLayer, new Use(from, to));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading class files under " + classesDir, e);
        }
        return graph;
    }

    private static Set<String> namedClasses(ClassModel cm) {
        Set<String> out = new TreeSet<>();
        for (PoolEntry e : cm.constantPool()) {
            if (e instanceof ClassEntry c) {
                String n = c.asInternalName();
                if (n.startsWith("[")) {
                    Matcher m = NAMED_TYPE.matcher(n);
                    while (m.find()) out.add(m.group(1).replace('/', '.'));
                } else {
                    out.add(n.replace('/', '.'));
                }
            } else if (e instanceof Utf8Entry u) {
                Matcher m = NAMED_TYPE.matcher(u.stringValue());
                while (m.find()) out.add(m.group(1).replace('/', '.'));
            }
        }
        return out;
    }

    /** The layer of a class of the kernels module, or null for other classes. */
    static String layer(String className) {
        if (!className.startsWith(ROOT + ".")) return null;
        String rest = className.substring(ROOT.length() + 1);
        int dot = rest.indexOf('.');
        return dot < 0 ? ROOT : ROOT + "." + rest.substring(0, dot);
    }

    /** Every cycle found by a depth-first search, each as the layers along it (first repeated at the end). */
    static List<List<String>> cycles(Map<String, ? extends Map<String, ?>> graph) {
        List<List<String>> found = new ArrayList<>();
        Set<String> done = new TreeSet<>();
        for (String start : graph.keySet()) search(graph, start, new ArrayList<>(), done, found);
        return found;
    }

    private static void search(Map<String, ? extends Map<String, ?>> graph, String node, List<String> path, Set<String> done,
                               List<List<String>> found) {
        int at = path.indexOf(node);
        if (at >= 0) {
            List<String> cycle = new ArrayList<>(path.subList(at, path.size()));
            cycle.add(node);
            found.add(cycle);
            return;
        }
        if (done.contains(node)) return;
        path.add(node);
        Map<String, ?> next = graph.get(node);
        if (next != null) for (String n : next.keySet()) search(graph, n, path, done, found);
        path.removeLast();
        done.add(node);
    }
}
