package org.apbj.parallel.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apbj.parallel.comm.RankFailure;
import org.junit.jupiter.api.Test;

/** How MpjLauncher reads the end of a job: reported failures, signals, timeouts, silent exits. */
class JobFailureTest {
    private final MpjLauncher.Job job = new MpjLauncher.Job(4, "Main", List.of(), List.of("app.jar"), List.of(), Path.of("w"),
            Path.of("w/out.txt"));

    private static MpjLauncher.Result ended(int status, boolean timedOut, String output) {
        return new MpjLauncher.Result(status, timedOut, output, Duration.ofSeconds(7));
    }

    @Test
    void aRankJvmKilledBySignalIsNamedWithTheRanksItHeld() {
        RankFailure f = MpjLauncher.failure(job, ended(137, false, "starting\n")).orElseThrow();
        assertEquals(RankFailure.Cause.KILLED, f.cause());
        assertTrue(f.message().startsWith("rank JVM killed by SIGKILL (signal 9), holding ranks 0-3"), f.message());
        assertTrue(MpjLauncher.failure(job, ended(143, false, "")).orElseThrow().message().contains("SIGTERM (signal 15)"));
        assertTrue(MpjLauncher.failure(job.withTransport(MpjLauncher.Transport.NIODEV), ended(139, false, "")).orElseThrow()
                .message().contains("SIGSEGV (signal 11), holding rank 0"));
    }

    @Test
    void aReportedFailureWinsOverTheExitStatus() {
        String out = new RankFailure(1, RankFailure.Cause.ERROR, "boom").line();
        assertEquals("rank 1: boom", MpjLauncher.failure(job, ended(2, false, out)).orElseThrow().describe());
    }

    @Test
    void timeoutsAndSilentExitsAreSaid() {
        assertEquals(RankFailure.Cause.JOB_TIMEOUT, MpjLauncher.failure(job, ended(-1, true, "")).orElseThrow().cause());
        assertTrue(MpjLauncher.failure(job, ended(1, false, "")).orElseThrow().message().contains("status 1"));
        assertTrue(MpjLauncher.failure(job, ended(0, false, "fine")).isEmpty());
    }
}
