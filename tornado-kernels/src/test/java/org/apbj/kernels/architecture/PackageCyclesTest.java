package org.apbj.kernels.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apbj.kernels.api.Kernel;
import org.junit.jupiter.api.Test;

/**
 * The layers of the kernels module (api, jit, runtime, lib, bench; sub-packages belong to
 * their layer) use each other without cycles, read from the compiled main classes: api uses
 * nothing, the compiler (jit) only the api, the runtimes the api and the compiler, the library
 * all three.
 */
class PackageCyclesTest {

    @Test
    void layersHaveNoCycles() throws URISyntaxException {
        Path classes = Path.of(Kernel.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertTrue(Files.isDirectory(classes.resolve("org/apbj/kernels/jit")), "main classes expected in " + classes);
        Map<String, Map<String, PackageGraph.Use>> graph = PackageGraph.layers(classes);
        assertTrue(graph.keySet().containsAll(List.of("org.apbj.kernels.api", "org.apbj.kernels.jit",
                "org.apbj.kernels.runtime", "org.apbj.kernels.lib")), "layers found: " + graph.keySet());
        List<List<String>> cycles = PackageGraph.cycles(graph);
        assertTrue(cycles.isEmpty(), () -> "package cycles among the kernels module's layers:\n" + cycles.stream()
                .map(c -> String.join(" -> ", c) + "\n  " + uses(graph, c)).collect(Collectors.joining("\n"))
                + "\nMove the shared type into the lower layer (as Kernel moved to api), or turn the use around with an interface.");
    }

    @Test
    void theCompilerUsesOnlyTheApi() throws URISyntaxException {
        Path classes = Path.of(Kernel.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Map<String, Map<String, PackageGraph.Use>> graph = PackageGraph.layers(classes);
        assertEquals(List.of("org.apbj.kernels.api"), List.copyOf(graph.get("org.apbj.kernels.jit").keySet()),
                () -> "the compiler must not depend on runtimes or the library: " + graph.get("org.apbj.kernels.jit"));
        assertTrue(graph.getOrDefault("org.apbj.kernels.api", Map.of()).isEmpty(),
                () -> "the api must use no other layer: " + graph.get("org.apbj.kernels.api"));
    }

    /** The cycle finder itself, on graphs with and without cycles. */
    @Test
    void findsCyclesItIsShown() {
        Map<String, Map<String, String>> acyclic = Map.of("a", Map.of("b", ""), "b", Map.of("c", ""), "c", Map.of());
        assertTrue(PackageGraph.cycles(acyclic).isEmpty());
        Map<String, Map<String, String>> cyclic = Map.of("a", Map.of("b", ""), "b", Map.of("c", ""), "c", Map.of("a", ""));
        List<List<String>> found = PackageGraph.cycles(cyclic);
        assertEquals(1, found.size(), found::toString);
        assertEquals(4, found.getFirst().size(), found::toString);
        assertEquals(found.getFirst().getFirst(), found.getFirst().getLast(), found::toString);
        assertEquals("org.apbj.kernels.jit", PackageGraph.layer("org.apbj.kernels.jit.ptx.PtxEmitter"));
        assertEquals(null, PackageGraph.layer("java.lang.String"));
    }

    private static String uses(Map<String, Map<String, PackageGraph.Use>> graph, List<String> cycle) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i + 1 < cycle.size(); i++) {
            PackageGraph.Use u = graph.get(cycle.get(i)).get(cycle.get(i + 1));
            sb.append(i == 0 ? "" : "; ").append(u.fromClass()).append(" uses ").append(u.toClass());
        }
        return sb.toString();
    }
}
