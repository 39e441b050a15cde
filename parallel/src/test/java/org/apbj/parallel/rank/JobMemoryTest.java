package org.apbj.parallel.rank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apbj.parallel.transfer.CommPath;
import org.apbj.model.DeviceModel;
import org.apbj.model.MemoryPlan;
import org.apbj.parallel.comm.InProcessRanks;
import org.apbj.parallel.comm.RankFailedException;
import org.apbj.parallel.strategy.Method;
import org.apbj.parallel.strategy.TinyNiah;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A job that will not fit is refused before the model is loaded, with the numbers and the largest
 * context that fits; that context then runs, and its peak stays within the plan. On a Java device
 * of 24 MiB (tiny-niah's weights and heads are 14.7 MB).
 */
class JobMemoryTest {

    static final String SMALL_DEVICE = "java:2:24m";

    static RankArgs dense(int contextTokens) {
        int[][] req = TinyNiah.request(contextTokens);
        return new RankArgs(TinyNiah.dir(), TinyNiah.dir().resolve("retaining_heads.safetensors"), Method.DENSE,
                List.of(new TokenRequest(req[0], req[1])), null, null, null, TinyNiah.QPOS, 2, SMALL_DEVICE, null,
                Duration.ofSeconds(120), null, false, false, CommPath.AUTO, true);
    }

    /**
     * Runs a dense job of {@code contextTokens} that must be refused: the in-process ranks' one
     * failure names rank 0, is bad input (the user's to fix) and has the plan's refusal as its cause.
     */
    static MemoryPlan.DoesNotFit refused(int contextTokens) {
        var failed = assertThrows(RankFailedException.class,
                () -> InProcessRanks.run(1, Duration.ofSeconds(120), comm -> RankJob.run(comm, dense(contextTokens))));
        assertTrue(failed.isUserError(), "a job that does not fit is bad input: " + failed.failure());
        assertEquals(0, failed.failure().rank(), failed.getMessage());
        var e = assertInstanceOf(MemoryPlan.DoesNotFit.class, failed.getCause());
        assertTrue(failed.getMessage().contains(e.getMessage()), failed.getMessage());
        return e;
    }

    @Test
    @Timeout(300)
    void aJobThatDoesNotFitIsRefusedBeforeLoadingAndItsAdviceRuns() {
        long loadsBefore = DeviceModel.loads();
        var e = refused(983);
        String m = e.getMessage();
        System.out.println(m);
        assertTrue(m.contains("dense job of 1 request (the largest: 983 context") && m.contains("weights ")
                && m.contains("KV cache of the rank's block ") && m.contains("prefill workspace ") && m.contains("query and decode buffers ")
                && m.contains("free is usable"), m);
        assertEquals(loadsBefore, DeviceModel.loads(), "refused before the model was loaded: " + m);
        Matcher fits = Pattern.compile("the largest context that fits \\(on every rank\\) is (\\d+) tokens").matcher(m);
        assertTrue(fits.find(), m);
        int largest = Integer.parseInt(fits.group(1));
        assertTrue(largest > 16 && largest < 983, m);

        RunReport r = InProcessRanks.run(1, Duration.ofSeconds(120), comm -> RankJob.run(comm, dense(largest))).getFirst();
        assertEquals(largest, r.contextTokens());
        RunReport.RankTiming t = r.perRank().getFirst();
        assertTrue(t.devicePeakBytes() <= t.memoryPlanBytes(), "peak " + t.devicePeakBytes() + " > plan " + t.memoryPlanBytes());
        assertTrue(t.memoryPlanBytes() <= 24L << 20, "the plan fits the device: " + t.memoryPlanBytes());
        assertEquals(loadsBefore + 1, DeviceModel.loads());

        var tooLong = refused(largest + 1);
        assertTrue(tooLong.getMessage().contains("the largest context that fits (on every rank) is " + largest + " tokens"), tooLong.getMessage());
        assertEquals(loadsBefore + 1, DeviceModel.loads());
    }

    @Test
    void aRequestFileCarriesEachRequestsQposAndBudget() throws Exception {
        Path file = java.nio.file.Files.createTempFile("requests", ".json");
        try {
            RankArgs.writeRequests(file, List.of(new TokenRequest(new int[] {5, 6, 7}, new int[] {8}, 2, 9),
                    new TokenRequest(new int[] {1, 2}, new int[] {3})));
            RankArgs a = RankArgs.parse("--model=" + TinyNiah.dir(), "--method=ring", "--request=" + file, "--qpos=1", "--max-tokens=4");
            assertEquals(2, a.requests().size());
            assertEquals(2, a.requests().get(0).qposOr(a.qpos()));
            assertEquals(9, a.requests().get(0).maxTokensOr(a.maxTokens()));
            assertEquals(1, a.requests().get(1).qposOr(a.qpos()));
            assertEquals(4, a.requests().get(1).maxTokensOr(a.maxTokens()));
            assertTrue(Arrays.equals(new int[] {5, 6, 7}, a.requests().get(0).context()));
            assertTrue(Arrays.equals(a.toArgs(), RankArgs.parse(a.toArgs()).toArgs()), "the file goes back on the command line");
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
    }
}
