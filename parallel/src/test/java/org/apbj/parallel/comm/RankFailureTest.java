package org.apbj.parallel.comm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;

class RankFailureTest {

    @Test
    void aPrintedFailureIsFoundAgainInTheOutput() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        RankFailure f = new RankFailure(1, RankFailure.Cause.INPUT, "--device=java:0: needs at least 1 thread\nsecond line");
        f.print(new PrintStream(bytes, true, StandardCharsets.UTF_8), new IllegalStateException("trace"));
        String out = "noise\n" + bytes.toString(StandardCharsets.UTF_8) + RankFailure.MARKER + "{not json\n";
        assertEquals(java.util.List.of(f), RankFailure.find(out));
        assertEquals("rank 1: --device=java:0: needs at least 1 thread second line", f.describe());
        assertTrue(out.contains("java.lang.IllegalStateException: trace"), out);
    }

    @Test
    void theRootIsTheEarliestKindThenTheFirst() {
        String out = new RankFailure(0, RankFailure.Cause.TIMEOUT, "barrier did not complete").line() + "\n"
                + new RankFailure(2, RankFailure.Cause.ERROR, "boom").line() + "\n"
                + new RankFailure(1, RankFailure.Cause.ERROR, "boom too").line() + "\n"
                + new RankFailure(3, RankFailure.Cause.KILLED, "gone").line() + "\n";
        assertEquals(2, RankFailure.root(out).orElseThrow().rank());
        assertEquals(RankFailure.Cause.TIMEOUT, RankFailure.root(new RankFailure(0, RankFailure.Cause.TIMEOUT, "t").line()).orElseThrow().cause());
        assertTrue(RankFailure.root("nothing here").isEmpty());
    }

    @Test
    void badInputReadsAsItsMessageAnythingElseWithItsClass() {
        assertTrue(Failures.isUserError(new IllegalArgumentException("x")));
        assertEquals("--ranks=0 must be at least 1", Failures.describe(new RuntimeException(new IllegalArgumentException("--ranks=0 must be at least 1"))));
        assertEquals("NoSuchFileException: /x", Failures.describe(new UncheckedIOException(new NoSuchFileException("/x"))));
        assertEquals("java.lang.IllegalStateException: bug", Failures.describe(new IllegalStateException("bug")));
        assertEquals(RankFailure.Cause.INPUT, RankFailure.of(3, new IllegalArgumentException("bad")).cause());
        assertEquals(RankFailure.Cause.ERROR, RankFailure.of(3, new NullPointerException("npe")).cause());
    }
}
