package org.apbj.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apbj.examples.api.Apbj;
import org.apbj.examples.api.Options;
import org.apbj.examples.api.Request;
import org.apbj.examples.cli.RepoRoot;
import org.junit.jupiter.api.Test;

/** The Java API tells how rank 0's weights load, once per call (one job), for in-process ranks. */
class LoadProgressEndToEndTest {

    @Test
    void rankZeroReportsItsWeightsUntilAllAreOnTheDevice() {
        List<long[]> reports = new ArrayList<>();
        List<String> parts = new ArrayList<>();
        Options o = Options.dense().inProcess().device(Cli.device());
        try (Apbj engine = Apbj.open(RepoRoot.tinyModel(), o)) {
            Apbj watched = engine.withLoadProgress((done, total, part) -> {
                synchronized (reports) {
                    reports.add(new long[] {done, total});
                    if (!parts.contains(part)) parts.add(part);
                }
            });
            // two requests, one job: the weights load once, so the bytes only grow
            watched.generateAll(List.of(new Request("The pass key is 123.", "\nWhat is the pass key?", "", 1),
                    new Request("The pass key is 456.", "\nWhat is the pass key?", "", 1)));
        }
        assertTrue(reports.size() > 2, "one report per tensor");
        long total = reports.getFirst()[1];
        for (int i = 1; i < reports.size(); i++) {
            assertTrue(reports.get(i)[0] > reports.get(i - 1)[0], "growing");
            assertEquals(total, reports.get(i)[1]);
        }
        assertEquals(total, reports.getLast()[0]);
        assertEquals("embeddings", parts.getFirst());
        assertEquals("layer 0", parts.get(1));
    }
}
