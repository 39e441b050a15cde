package org.apbj.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apbj.examples.Main;
import org.apbj.examples.cli.RepoRoot;
import org.apbj.parallel.launch.MpjHome;
import org.apbj.parallel.launch.MpjLauncher;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bad-input suite (issue #16): every case runs an ./apbj engine command the way a user does
 * and asserts its exit status, one line on stderr naming the problem and the fix, no stack
 * trace on the console, and a time bound. Cases marked {@link Mode#PROCESS} run in a JVM of
 * their own ({@code java ... org.apbj.examples.Main}, ranks through mpjrun as ./apbj starts
 * them); the others share this JVM. The cases are in {@link BadInputCases}.
 */
class BadInputSuiteTest {

    /** How a case runs. */
    enum Mode {
        /** {@code Main.run} in this JVM. */
        IN_JVM,
        /** A JVM of its own, as ./apbj starts it; ranks through mpjrun unless the case says --in-process. */
        PROCESS
    }

    static final List<String> COMMANDS = List.of("demo", "run", "bench", "eval", "kernels", "synth-model", "tokenize");

    @TempDir static Path root;
    static Path tiny;
    static Path prompt;
    static List<String> summary = new ArrayList<>();

    @BeforeAll
    static void inputs() throws IOException {
        tiny = RepoRoot.tinyModel();
        prompt = root.resolve("prompt.txt");
        StringBuilder s = new StringBuilder("There is an important info hidden inside a lot of irrelevant text.\n");
        for (int i = 0; i < 6; i++) s.append(" The grass is green. The sky is blue. The sun is yellow.");
        Files.writeString(prompt, s);
    }

    @AfterAll
    static void report() {
        System.out.println("bad-input suite: " + summary.size() + " cases\n  " + String.join("\n  ", summary));
    }

    static boolean mpjAvailable() {
        try {
            MpjHome.locate();
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    @TestFactory
    Stream<DynamicTest> everyBadInputEndsWithOneLineNamingTheFix() {
        List<BadInputCases.Case> cases = BadInputCases.all();
        long process = cases.stream().filter(c -> c.mode == Mode.PROCESS).count();
        assertTrue(cases.size() >= 75, "the suite has " + cases.size() + " cases");
        assertTrue(process * 3 >= cases.size(), process + " of " + cases.size() + " cases run in a JVM of their own");
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.category + ": " + c.name + " [" + c.mode + "]", () -> run(c)));
    }

    /** What one case produced. */
    record Outcome(int status, String out, String err, Duration took, Path tmp, Path dir) {
        @Override
        public String toString() {
            return "exit " + status + " after " + took.toMillis() + " ms\n--- stdout ---\n" + out + "\n--- stderr ---\n" + err;
        }

        /** stderr's lines, without the notice that MPJ Express is missing (not an error). */
        List<String> errLines() {
            return err.lines().filter(l -> !l.isBlank() && !l.startsWith("apbj: ranks run as threads of this JVM")).toList();
        }
    }

    static void run(BadInputCases.Case c) throws Exception {
        if (c.needsMpj) Assumptions.assumeTrue(mpjAvailable(), "MPJ Express home not configured");
        if (c.assumption != null) Assumptions.assumeTrue(c.assumption.getAsBoolean(), c.assumptionWhy);
        System.out.println("bad-input case " + c.id + ": " + c.category + ": " + c.name + " [" + c.mode + "]");
        Path dir = Files.createDirectories(root.resolve("case-" + c.id));
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        List<String> args = new ArrayList<>();
        for (String a : c.args) args.add(a.replace("{tiny}", tiny.toString()).replace("{prompt}", prompt.toString())
                .replace("{dir}", dir.toString()));
        if (c.setup != null) c.setup.accept(dir);
        Outcome o = c.mode == Mode.PROCESS ? inProcessOfItsOwn(c, args, dir, tmp) : inThisJvm(c, args, dir, tmp);
        summary.add(String.format("%-8s %-7s %5d ms  exit %d  %s: %s", c.category, c.mode == Mode.PROCESS ? "process" : "jvm",
                o.took().toMillis(), o.status(), c.name, o.errLines().isEmpty() ? "" : o.errLines().getFirst()));

        String where = "seedless case " + c.id + " (" + c.name + "): apbj " + String.join(" ", args) + "\n" + o;
        assertEquals(c.status, o.status(), "exit status; " + where);
        assertTrue(o.took().compareTo(c.bound) <= 0, "took " + o.took().toMillis() + " ms, bound " + c.bound.toMillis() + " ms; " + where);
        for (String stream : List.of(o.out(), o.err())) {
            assertTrue(!stream.contains("\tat ") && !stream.contains("Exception in thread") && !stream.contains("Caused by:"),
                    "a stack trace on the console; " + where);
        }
        if (c.check != null) {
            c.check.accept(o);
            return;
        }
        List<String> lines = o.errLines();
        assertEquals(1, lines.size(), "one line on stderr; " + where);
        String line = lines.getFirst();
        String command = args.isEmpty() || !COMMANDS.contains(args.getFirst()) ? "apbj" : "apbj " + args.getFirst();
        assertTrue(line.startsWith(command + ": "), "the line names the command; " + where);
        for (String must : c.says) {
            assertTrue(line.contains(must.replace("{dir}", dir.toString()).replace("{tiny}", tiny.toString())),
                    "the line must say '" + must + "'; " + where);
        }
        assertNoJobFolderLeft(tmp, where);
    }

    static void assertNoJobFolderLeft(Path tmp, String where) throws IOException {
        try (var s = Files.list(tmp)) {
            List<String> left = s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("apbj-job-")).toList();
            assertTrue(left.isEmpty(), "job folders left behind " + left + "; " + where);
        }
    }

    private static Outcome inThisJvm(BadInputCases.Case c, List<String> args, Path dir, Path tmp) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        Map<String, String> saved = new java.util.HashMap<>();
        Map<String, String> props = new java.util.HashMap<>(c.properties);
        props.put(Main.LOG_DIR_PROPERTY, tmp.resolve("apbj-logs").toString());
        for (var e : props.entrySet()) {
            saved.put(e.getKey(), System.getProperty(e.getKey()));
            System.setProperty(e.getKey(), e.getValue());
        }
        long t0 = System.nanoTime();
        int status;
        try {
            status = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
        } finally {
            for (var e : saved.entrySet()) {
                if (e.getValue() == null) System.clearProperty(e.getKey()); else System.setProperty(e.getKey(), e.getValue());
            }
        }
        return new Outcome(status, out.toString(), err.toString(), Duration.ofNanos(System.nanoTime() - t0), tmp, dir);
    }

    /** The command as ./apbj runs it: java with the application's class path, Main, the arguments. */
    static ProcessBuilder command(BadInputCases.Case c, List<String> args, Path dir, Path tmp) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Dapbj.root=" + RepoRoot.find(), "-Djava.io.tmpdir=" + tmp,
                "-D" + Main.LOG_DIR_PROPERTY + "=" + tmp.resolve("apbj-logs")));
        Optional.ofNullable(System.getProperty(MpjHome.PROPERTY)).ifPresent(h -> cmd.add("-D" + MpjHome.PROPERTY + "=" + h));
        c.properties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.addAll(List.of("-cp", String.join(java.io.File.pathSeparator, MpjLauncher.currentClasspath()), Main.class.getName()));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectOutput(dir.resolve("stdout.txt").toFile()).redirectError(dir.resolve("stderr.txt").toFile());
    }

    private static Outcome inProcessOfItsOwn(BadInputCases.Case c, List<String> args, Path dir, Path tmp) throws Exception {
        long t0 = System.nanoTime();
        Process p = command(c, args, dir, tmp).start();
        try {
            if (c.during != null) c.during.accept(p, dir);
            if (!p.waitFor(c.bound.toMillis() + 30_000, TimeUnit.MILLISECONDS)) {
                fail("case " + c.id + " (" + c.name + ") still runs after " + (c.bound.toMillis() + 30_000) + " ms");
            }
        } finally {
            p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        return new Outcome(p.exitValue(), Files.readString(dir.resolve("stdout.txt"), StandardCharsets.UTF_8),
                Files.readString(dir.resolve("stderr.txt"), StandardCharsets.UTF_8), took, tmp, dir);
    }
}
