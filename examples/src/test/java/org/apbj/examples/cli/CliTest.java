package org.apbj.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.apbj.examples.Main;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class CliTest {

    record Outcome(int status, String out, String err) {}

    static Outcome run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int status = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Outcome(status, out.toString(), err.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo", "run", "bench", "eval", "kernels", "synth-model", "tokenize"})
    void everyCommandHasHelp(String command) {
        Outcome o = run(command, "--help");
        assertEquals(0, o.status(), o.err());
        assertTrue(o.out().startsWith("Usage: apbj " + command), o.out());
    }

    @Test
    void topLevelHelpListsEveryCommand() {
        Outcome o = run("--help");
        assertEquals(0, o.status());
        for (String c : List.of("demo", "run", "bench", "eval", "kernels", "synth-model", "tokenize")) {
            assertTrue(o.out().contains("  " + c + " "), c + " missing from\n" + o.out());
        }
    }

    @Test
    void unknownCommandAndBadOptionsFailWithAMessage() {
        Outcome o = run("frobnicate");
        assertNotEquals(0, o.status());
        assertTrue(o.err().contains("frobnicate"), o.err());

        Outcome bad = run("run", "--model", "m", "--prompt-file", "p", "--method", "flash");
        assertNotEquals(0, bad.status());
        assertTrue(bad.err().contains("unknown method 'flash'"), bad.err());
    }

    @Test
    void inputProblemsGiveOneLineNamingTheFix(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        Outcome noTokenizer = run("demo", "--model", dir.toString(), "--in-process");
        assertEquals(1, noTokenizer.status());
        assertTrue(noTokenizer.err().startsWith("apbj demo: --model " + dir + " is not a Hugging Face model directory (no config.json)"),
                noTokenizer.err());
        assertEquals(1, noTokenizer.err().lines().count(), noTokenizer.err());

        Outcome noPrompt = run("run", "--model", RepoRoot.tinyModel().toString(), "--prompt-file", dir.resolve("none.txt").toString());
        assertEquals(1, noPrompt.status());
        assertTrue(noPrompt.err().contains("--prompt-file") && noPrompt.err().contains("not a readable file"), noPrompt.err());

        Outcome shortPrompt = run("eval", "--generate-only", "--tasks", "cwe", "--lengths", "64", "--out", dir.resolve("e.json").toString());
        assertEquals(1, shortPrompt.status());
        assertTrue(shortPrompt.err().contains("too short for this task"), shortPrompt.err());
    }

    @Test
    void lengthsParseSuffixes() {
        assertEquals(List.of(4096, 16384, 131072, 1000), Lengths.parseList("4096,16k, 128K,1000"));
        assertEquals("16k", Lengths.format(16384));
        assertEquals("1000", Lengths.format(1000));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Lengths.parse("4q"));
        assertTrue(e.getMessage().contains("4q"));
        assertThrows(IllegalArgumentException.class, () -> Lengths.parse("-5"));
    }
}
