package org.apbj.parallel.strategy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apbj.kernels.testing.TestSeed;
import org.apbj.parallel.comm.InProcessRanks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * APB's early selection ({@link StrategyOptions#earlySelection}) on in-process ranks of the Java
 * test device: it gives the same bits as the in-line schedule, and it enqueues each layer's
 * selection on the second queue between the orderings that make it safe on a device whose
 * queues run concurrently (CUDA): after the projections, RoPE before the compute queue's
 * attention, the compute queue joined before the next layer's projections overwrite q/k/v.
 */
@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class EarlySelectionTest {

    private final long seed = TestSeed.next();
    private final Random rnd = new Random(seed);
    private final int[] context = rnd.ints(37, 2, 64).toArray();
    private final int[] query = rnd.ints(5, 2, 64).toArray();

    private RankRun run(int hosts, StrategyOptions o) {
        return RankRun.run(Method.APB, hosts, context, query, o, 4, comm -> new HostLayerSteps(HostLayerSteps.tinyConfig(), seed));
    }

    @ParameterizedTest(name = "{0} ranks, overlap {1}, l_p = B: {2}")
    @CsvSource({"2, true, false", "3, true, false", "4, true, false", "3, false, false", "4, true, true", "3, false, true"})
    void givesTheBitsOfTheInlineSchedule(int hosts, boolean overlap, boolean wholeBlocks) {
        StrategyOptions o = StrategyOptions.defaults(2, 4).withCommunication(org.apbj.parallel.transfer.CommPath.AUTO, overlap);
        if (wholeBlocks) o = o.withLengths(0, (int) Math.ceilDiv(context.length, hosts));
        RankRun inline = run(hosts, o.withEarlySelection(false));
        RankRun early = run(hosts, o.withEarlySelection(true));
        String where = "seed " + seed + ", " + hosts + " ranks, overlap " + overlap;
        assertEquals(inline.hidden.keySet(), early.hidden.keySet(), where);
        for (String phaseLayer : inline.hidden.keySet()) {
            Map<Integer, float[]> a = inline.hidden.get(phaseLayer), b = early.hidden.get(phaseLayer);
            assertEquals(a.keySet(), b.keySet(), where + ": " + phaseLayer);
            for (var e : a.entrySet()) assertArrayEquals(e.getValue(), b.get(e.getKey()), where + ": " + phaseLayer + " position " + e.getKey());
        }
        assertEquals(inline.selections.keySet(), early.selections.keySet(), where + ": selections");
        for (String rankLayer : inline.selections.keySet()) {
            int[][] a = inline.selections.get(rankLayer), b = early.selections.get(rankLayer);
            for (int h = 0; h < a.length; h++) assertArrayEquals(a[h], b[h], where + ": selection " + rankLayer + " head " + h);
        }
        for (int r = 0; r < hosts; r++) {
            assertArrayEquals(inline.answers.get(r).tokens(), early.answers.get(r).tokens(), where + ": rank " + r + " tokens");
        }
    }

    /** Each rank's prefill log: its layer steps by queue, and the second queue's orderings. */
    private List<List<String>> prefillLogs(int hosts, boolean early) {
        List<List<String>> logs = new ArrayList<>();
        for (int r = 0; r < hosts; r++) logs.add(Collections.synchronizedList(new ArrayList<>()));
        StrategyOptions o = StrategyOptions.defaults(2, 2).withEarlySelection(early);
        InProcessRanks.run(hosts, Duration.ofSeconds(60), comm -> {
            List<String> log = logs.get(comm.rank());
            RecordingLayerSteps steps = new RecordingLayerSteps(new HostLayerSteps(HostLayerSteps.tinyConfig(), seed), log);
            try (Strategy s = Strategies.create(Method.APB, steps, comm, o)) {
                s.prefill(context, query);
                log.add("end of prefill");
                return s.answer(1);
            }
        });
        List<List<String>> prefill = new ArrayList<>();
        for (List<String> log : logs) prefill.add(List.copyOf(log.subList(0, log.indexOf("end of prefill"))));
        return prefill;
    }

    @Test
    void selectionRunsOnTheSecondQueueBetweenItsOrderings() {
        int hosts = 3, layers = HostLayerSteps.tinyConfig().numLayers();
        List<List<String>> logs = prefillLogs(hosts, true);
        for (int r = 0; r < hosts; r++) {
            List<String> log = logs.get(r);
            String where = "seed " + seed + ", rank " + r + ": " + log;
            boolean selects = r < hosts - 1;   // the last rank's block goes nowhere
            assertEquals(selects, log.contains("openSecondQueue"), where);
            for (int l = 0; l < layers; l++) {
                List<String> layer = layerOf(log, l, layers);
                if (!selects) {
                    assertTrue(layer.stream().noneMatch(e -> e.startsWith("second:") || e.contains("retainingScores")
                            || e.contains("selectTopK") || e.contains("gatherKv")), where + ": the last rank selects nothing");
                    continue;
                }
                assertInOrder(layer, List.of("main:projectQkv/" + l, "afterMain", "second:retainingScores/" + l, "second:rope",
                        "mainAfter", "second:selectTopK", "second:gatherKv", "main:attention", "main:finishLayer/" + l, "mainAfter"), where);
                assertTrue(layer.stream().noneMatch(e -> e.equals("main:rope") || e.equals("main:selectTopK") || e.equals("main:gatherKv")
                        || e.startsWith("main:retainingScores")), where + ": layer " + l + " selects on the second queue only");
                assertEquals("mainAfter", layer.getLast(), where + ": layer " + l + " joins the second queue last");
            }
        }
    }

    @Test
    void theInlineScheduleOpensNoSecondQueue() {
        for (List<String> log : prefillLogs(3, false)) {
            assertFalse(log.contains("openSecondQueue"), "seed " + seed + ": " + log);
            assertTrue(log.stream().noneMatch(e -> e.startsWith("second:")), "seed " + seed + ": " + log);
        }
    }

    @Test
    void theOptOutPropertyIsReadAndABadValueNamesIt() {
        String key = StrategyOptions.EARLY_SELECTION_PROPERTY;
        String saved = System.getProperty(key);
        try {
            System.clearProperty(key);
            assertTrue(StrategyOptions.defaults(2, 2).earlySelection(), "early selection is the default");
            System.setProperty(key, "false");
            assertFalse(StrategyOptions.defaults(2, 2).earlySelection());
            assertFalse(new StrategyOptions(null, null, 2, 2, LayerObserver.NONE, org.apbj.parallel.transfer.CommPath.AUTO, true)
                    .earlySelection(), "the rank job's constructor reads it too");
            System.setProperty(key, "sometimes");
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> StrategyOptions.defaults(2, 2));
            assertTrue(e.getMessage().contains("-D" + key + "=sometimes") && e.getMessage().contains("true or false"), e.getMessage());
        } finally {
            if (saved == null) System.clearProperty(key);
            else System.setProperty(key, saved);
        }
    }

    /** The entries from layer l's projections up to the next layer's (or the end). */
    private static List<String> layerOf(List<String> log, int l, int layers) {
        int from = log.indexOf("main:projectQkv/" + l);
        int to = l + 1 < layers ? log.indexOf("main:projectQkv/" + (l + 1)) : log.size();
        assertTrue(from >= 0 && to > from, "layer " + l + " not found in " + log);
        return log.subList(from, to);
    }

    /** {@code expected} occurs in {@code log} in this order (other entries may lie between). */
    private static void assertInOrder(List<String> log, List<String> expected, String where) {
        int i = 0;
        for (String e : log) if (i < expected.size() && e.equals(expected.get(i))) i++;
        assertEquals(expected.size(), i, where + ": expected in order " + expected + ", missing from '"
                + (i < expected.size() ? expected.get(i) : "") + "' on");
    }
}
