package org.apbj.parallel.launch;

import org.apbj.kernels.testing.TestSeed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Two real MPJ Express ranks (multicore device) exchange data; the test reads what each got. */
@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class MpjMulticoreSmokeTest {

    @TempDir Path dir;

    @Test
    @Timeout(120)
    void twoRanksAllGatherBroadcastAndRingShift() throws Exception {
        int count = 5 + new Random(TestSeed.next()).nextInt(20);
        checkJob(2, count, List.of());
    }

    @Test
    @Timeout(120)
    void largeTransfersAreCutIntoPieces() throws Exception {
        // 64-byte pieces force every collective through the chunked path.
        int count = 100 + new Random(TestSeed.next()).nextInt(100);
        checkJob(3, count, List.of("-Dapbj.comm.max.message.bytes=64"));
    }

    @Test
    @Timeout(120)
    void aRankThatThrowsEndsTheJobWithNonZeroStatusAndTheCause() {
        MpjLauncher.Result r = runFault("throw", 60);
        assertEquals(org.apbj.parallel.comm.ExitCodes.RANK_FAILED, r.exitCode(), r.output());
        assertTrue(r.output().contains("rank 1 aborts the job: layer 1 failed: injected failure in layer 1"), r.output());
    }

    @Test
    @Timeout(120)
    void aHangingRankIsDetectedByTheWatchdogWithinTheTimeout() {
        MpjLauncher.Result r = runFault("hang", 2);
        assertEquals(org.apbj.parallel.comm.ExitCodes.COMM_TIMEOUT, r.exitCode(), r.output());
        assertTrue(r.output().matches("(?s).*rank [02]: allGather of 3x4 FLOAT did not complete within 2 s.*"), r.output());
        assertTrue(r.wallTime().toSeconds() < 30, "took " + r.wallTime());
    }

    private MpjLauncher.Result runFault(String mode, int timeoutSeconds) {
        var job = new MpjLauncher.Job(3, MpjFaultRank.class.getName(), List.of(mode), MpjLauncher.currentClasspath(),
                List.of("-Dapbj.comm.timeout.seconds=" + timeoutSeconds), dir, dir.resolve("fault.log"));
        MpjLauncher.Result r = new MpjLauncher().run(job, Duration.ofSeconds(60));
        assertTrue(!r.timedOut(), "the job hung instead of ending itself:\n" + r.output());
        return r;
    }

    private void checkJob(int ranks, int count, List<String> jvm) throws Exception {
        var launcher = new MpjLauncher();
        var job = new MpjLauncher.Job(ranks, MpjSmokeRank.class.getName(), List.of(dir.toString(), Integer.toString(count)),
                MpjLauncher.currentClasspath(), jvm, dir, dir.resolve("job.log"));
        MpjLauncher.Result result = launcher.run(job, Duration.ofSeconds(90));
        assertTrue(result.succeeded(), () -> "job failed (exit " + result.exitCode() + ", timed out " + result.timedOut() + "):\n" + result.output());
        float[] expected = new float[count * ranks];
        for (int r = 0; r < ranks; r++) for (int i = 0; i < count; i++) expected[r * count + i] = r * 1000 + i + 0.5f;
        for (int r = 0; r < ranks; r++) {
            List<String> lines = Files.readAllLines(dir.resolve("rank-" + r + ".txt"));
            assertEquals("size=" + ranks, lines.get(0));
            assertEquals("gathered=" + Arrays.toString(expected), lines.get(1), "rank " + r);
            assertEquals("broadcast=4242", lines.get(2), "rank " + r);
            short[] ring = new short[count];
            Arrays.fill(ring, (short) (((r - 1 + ranks) % ranks) + 1));
            assertEquals("ring=" + Arrays.toString(ring), lines.get(3), "rank " + r);
        }
    }
}
