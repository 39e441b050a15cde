package org.apbj.parallel.rank;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.apbj.parallel.RankMain;
import org.apbj.parallel.comm.CommunicationException;
import org.apbj.parallel.comm.ExitCodes;
import org.apbj.parallel.comm.InProcessRanks;
import org.apbj.parallel.comm.RankFailure;
import org.apbj.parallel.launch.MpjDaemon;
import org.apbj.parallel.launch.MpjLauncher;
import org.apbj.weights.SafetensorsFile;
import org.apbj.weights.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rank program end to end on tiny-niah: in-process ranks, then real MPJ Express ranks
 * (multicore device) with the same arguments, which must produce the same tokens and the same
 * logits bit for bit; and the failure modes: a rank throwing mid-layer, inconsistent ranks.
 */
class RankMainTest {

    static Path model;
    static int[] context, query;
    @TempDir Path dir;

    @BeforeAll
    static void request() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve("models/tiny-niah"))) {
                model = d.resolve("models/tiny-niah");
                break;
            }
        }
        try (SafetensorsFile f = SafetensorsFile.open(model.resolve("golden/dense_1024.safetensors"))) {
            for (Tensor t : f.tensors()) {
                if (t.name().equals("input_ids")) {
                    int[] ids = t.toIntArray();
                    context = Arrays.copyOf(ids, 120);            // 2 ranks: blocks of 60
                    query = Arrays.copyOfRange(ids, 983, ids.length);
                }
            }
        }
    }

    private List<String> args(String method, Path output) {
        List<String> a = new ArrayList<>(List.of("--model=" + model, "--method=" + method,
                "--context=" + join(context), "--query=" + join(query), "--qpos=2", "--max-tokens=4", "--device=" + org.apbj.parallel.strategy.TinyNiah.testDeviceSpec(),
                "--comm-timeout=60", "--logits", "--output=" + output));
        return a;
    }

    private static String join(int[] ids) {
        return String.join(",", Arrays.stream(ids).mapToObj(Integer::toString).toList());
    }

    private MpjLauncher.Result mpj(String mainClass, List<String> args, int ranks) {
        return new MpjLauncher().run(job(mainClass, args, ranks), Duration.ofSeconds(150));
    }

    private MpjLauncher.Job job(String mainClass, List<String> args, int ranks) {
        return new MpjLauncher.Job(ranks, mainClass, args, MpjLauncher.currentClasspath(), List.of("-Xss8m"), dir,
                dir.resolve("job-" + System.nanoTime() + ".log"));
    }

    private static RunReport inProcessApb;

    /** APB on 2 in-process ranks: the run the MPJ runs must reproduce bit for bit. */
    private synchronized RunReport inProcessApb() {
        if (inProcessApb == null) {
            RankArgs parsed = RankArgs.parse(args("apb", dir.resolve("inproc.json")).toArray(String[]::new));
            inProcessApb = InProcessRanks.run(2, Duration.ofSeconds(60), comm -> RankJob.run(comm, parsed)).get(0);
        }
        return inProcessApb;
    }

    @Test
    @Timeout(300)
    void apbOverNiodevOnTwoJvmsEqualsTheInProcessRun() {
        RunReport expected = inProcessApb();
        Path out = dir.resolve("niodev.json");
        MpjLauncher launcher = new MpjLauncher();
        try (MpjDaemon daemon = MpjDaemon.start(launcher.home(), dir.resolve("daemon.log"), Duration.ofSeconds(30))) {
            MpjLauncher.Result r = launcher.run(job(RankMain.class.getName(), args("apb", out), 2)
                    .withTransport(MpjLauncher.Transport.NIODEV), Duration.ofSeconds(150));
            String all = r.output() + "\n--- daemon ---\n" + daemon.readLog();
            // MPJRun's exit status does not carry the ranks': the report and the ranks' output do
            assertTrue(!r.timedOut() && Files.exists(out), () -> "niodev job produced no report:\n" + all);
            assertTrue(all.contains("apbj: apb on 2 ranks: prefill of 120 tokens"), all);
            assertTrue(!all.contains("aborts the job"), all);
        }
        RunReport viaNiodev = RunReport.read(out);
        assertArrayEquals(expected.generated(), viaNiodev.generated());
        assertEquals(expected.firstLogitsSha256(), viaNiodev.firstLogitsSha256());
    }

    @Test
    @Timeout(300)
    void aKilledNiodevRankJvmEndsTheOtherRanksWithinThirtySecondsNamingIt() throws Exception {
        List<String> a = new ArrayList<>(args("ring", dir.resolve("never.json")));
        a.replaceAll(s -> s.startsWith("--comm-timeout=") ? "--comm-timeout=200" : s);   // the watch, not the timeout, must end it
        MpjLauncher launcher = new MpjLauncher();
        try (MpjDaemon daemon = MpjDaemon.start(launcher.home(), dir.resolve("daemon.log"), Duration.ofSeconds(30))) {
            MpjLauncher.Job job = new MpjLauncher.Job(3, RankMain.class.getName(), a, MpjLauncher.currentClasspath(),
                    List.of("-Xss8m", "-D" + Fault.PROPERTY + "=hang:1"), dir, dir.resolve("niodev-kill.log"))
                    .withTransport(MpjLauncher.Transport.NIODEV);
            try (MpjLauncher.RunningJob running = launcher.start(job)) {
                long[] pids = new long[3];
                long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                for (int r = 0; r < 3; r++) {
                    Path pidFile = dir.resolve("ranks").resolve(r + ".pid");
                    while (!Files.exists(pidFile)) {
                        assertTrue(System.nanoTime() < deadline, "rank " + r + " did not start:\n" + running.readOutput() + daemon.readLog());
                        Thread.sleep(100);
                    }
                    pids[r] = Long.parseLong(Files.readString(pidFile).strip().split(" ")[0]);
                }
                Thread.sleep(3000);   // the ranks load the model; rank 1 then hangs, the others wait for it
                ProcessHandle.of(pids[1]).ifPresent(ProcessHandle::destroyForcibly);
                long killed = System.nanoTime();
                for (int r : new int[] {0, 2}) {
                    Optional<ProcessHandle> h = ProcessHandle.of(pids[r]);
                    if (h.isPresent()) h.get().onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
                }
                double seconds = (System.nanoTime() - killed) / 1e9;
                assertTrue(seconds < 30, "the other ranks ended " + seconds + " s after the kill");
                MpjLauncher.Result r = running.await(Duration.ofSeconds(30));
                String all = r.output() + "\n--- daemon ---\n" + daemon.readLog();
                RankFailure root = RankFailure.root(all).orElseThrow(() -> new AssertionError("no failure reported:\n" + all));
                assertEquals(1, root.rank(), all);
                assertEquals(RankFailure.Cause.KILLED, root.cause(), all);
                assertTrue(root.message().contains("(pid " + pids[1] + ") is gone"), all);
            }
        }
    }

    @Test
    @Timeout(300)
    void apbOnTwoMpjRanksEqualsTheInProcessRunBitForBit() {
        RunReport inProcess = inProcessApb();
        assertEquals(4, inProcess.generated().length);
        assertEquals(60, inProcess.blockSize());
        assertEquals(43, inProcess.anchorLength());   // B/4 = 15, raised to hold 2 + 41 header and query tokens
        assertEquals(7, inProcess.passingLength());   // B/8 = 7, below the tile: kept
        assertEquals(2, inProcess.perRank().size());
        float[] logits = inProcess.firstLogits();
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        assertEquals(best, inProcess.generated()[0], "the first token is the argmax of the reported logits");
        assertTrue(logits[best] - logits[(best + 1) % logits.length] != 0);
        assertTrue(inProcess.perRank().get(1).totalsMs().get("prefill").get("communication") >= 0);

        Path out = dir.resolve("mpj.json");
        MpjLauncher.Result r = mpj(RankMain.class.getName(), args("apb", out), 2);
        assertTrue(r.succeeded(), () -> "MPJ job failed (exit " + r.exitCode() + "):\n" + r.output());
        assertTrue(r.output().contains("apbj: apb on 2 ranks: prefill of 120 tokens"), r.output());
        RunReport viaMpj = RunReport.read(out);
        assertArrayEquals(inProcess.generated(), viaMpj.generated());
        assertEquals(inProcess.firstLogitsSha256(), viaMpj.firstLogitsSha256(), "first-token logits differ in some bit");
        assertArrayEquals(inProcess.firstLogits(), viaMpj.firstLogits());
        assertEquals(inProcess.anchorLength(), viaMpj.anchorLength());
        for (RunReport.RankTiming t : viaMpj.perRank()) {
            assertTrue(t.totalsMs().get("prefill").values().stream().mapToDouble(Double::doubleValue).sum() > 0, "rank " + t.rank());
            assertEquals(4 + 1, t.layers().stream().filter(l -> l.phase().equals("prefill")).count(), "4 layers + outside");
        }
    }

    @Test
    @Timeout(300)
    void aRankThatThrowsMidLayerEndsAllRanksWithTheCause() {
        List<String> a = new ArrayList<>(List.of("throw"));
        a.addAll(args("ring", dir.resolve("never.json")));
        MpjLauncher.Result r = mpj(FaultyRankMain.class.getName(), a, 2);
        assertEquals(ExitCodes.RANK_FAILED, r.exitCode(), r.output());
        assertTrue(r.output().contains("rank 1 aborts the job: java.lang.IllegalStateException: injected failure in the FFN of layer 1"),
                r.output());
        assertTrue(!Files.exists(dir.resolve("never.json")));
    }

    @Test
    @Timeout(300)
    void mismatchedRanksAreRefusedAtStartUpNamingTheField() {
        List<String> a = new ArrayList<>(List.of("mismatch"));
        a.addAll(args("apb", dir.resolve("never.json")));
        MpjLauncher.Result r = mpj(FaultyRankMain.class.getName(), a, 2);
        assertEquals(ExitCodes.CONFIG_MISMATCH, r.exitCode(), r.output());
        assertTrue(r.output().contains("rank 1 differs from rank 0 in 'method'"), r.output());
    }

    @Test
    @Timeout(60)
    void inProcessMismatchFailsEveryRankBeforeLoadingTheModel() {
        String[] base = args("ring", dir.resolve("x.json")).toArray(String[]::new);
        var e = assertThrows(RuntimeException.class, () -> InProcessRanks.run(3, Duration.ofSeconds(20), comm -> {
            String[] mine = base.clone();
            if (comm.rank() == 2) mine[3] = "--query=" + join(Arrays.copyOf(query, 5));
            return RankJob.run(comm, RankArgs.parse(mine));
        }));
        assertTrue(e instanceof ConfigCheck.MismatchException || e instanceof CommunicationException, e.toString());
        assertTrue(e.getMessage().contains("rank 2 differs from rank 0 in 'query token ids'"), e.getMessage());
    }

    @Test
    @Timeout(120)
    void severalRequestsShareOneModelLoadAndMatchSeparateRuns() throws Exception {
        int[] ctx2 = Arrays.copyOfRange(context, 0, 77);
        Path requests = dir.resolve("requests.json");
        new com.fasterxml.jackson.databind.ObjectMapper().writeValue(requests.toFile(),
                List.of(java.util.Map.of("context", context, "query", query),
                        java.util.Map.of("context", ctx2, "query", query, "max_tokens", 2)));
        List<String> common = List.of("--model=" + model, "--method=ring", "--qpos=2", "--max-tokens=3",
                "--device=" + org.apbj.parallel.strategy.TinyNiah.testDeviceSpec());
        List<String> both = new ArrayList<>(common);
        both.add("--request=" + requests);
        // the same job alone, with the second request's own budget as the job's (an option is given once)
        List<String> second = new ArrayList<>(common.stream().map(a -> a.equals("--max-tokens=3") ? "--max-tokens=2" : a).toList());
        second.addAll(List.of("--context=" + join(ctx2), "--query=" + join(query)));
        RankArgs bothArgs = RankArgs.parse(both.toArray(String[]::new));
        RankArgs secondArgs = RankArgs.parse(second.toArray(String[]::new));
        List<RunReport> reports = InProcessRanks.run(2, Duration.ofSeconds(60), comm -> RankJob.runAll(comm, bothArgs)).get(0);
        RunReport alone = InProcessRanks.run(2, Duration.ofSeconds(60), comm -> RankJob.run(comm, secondArgs)).get(0);
        assertEquals(2, reports.size());
        assertEquals(context.length, reports.get(0).contextTokens());
        assertEquals(77, reports.get(1).contextTokens());
        assertEquals(39, reports.get(1).blockSize());
        assertArrayEquals(alone.generated(), reports.get(1).generated());
        assertEquals(alone.firstLogitsSha256(), reports.get(1).firstLogitsSha256(), "the first request must leave nothing behind");
        assertEquals(3, reports.get(0).generated().length, "the job's --max-tokens");
        assertEquals(2, reports.get(1).generated().length, "the request's own max_tokens");
        for (int i = 0; i < 2; i++) {
            RunReport r = reports.get(i);
            assertEquals(i, r.requestIndex());
            assertEquals(reports.get(0).coldStart(), r.coldStart(), "one job, one cold start");
            assertEquals(2, r.coldStart().requests(), "both requests on one model load");
            assertTrue(r.coldStart().modelLoadSeconds() > 0 && r.coldStart().jvmStartSeconds() == null, r.coldStart().toString());
            for (RunReport.RankTiming t : r.perRank()) {
                assertTrue(t.devicePeakBytes() > 0 && t.devicePeakBytes() <= t.memoryPlanBytes(), "rank " + t.rank()
                        + ": peak " + t.devicePeakBytes() + " bytes, plan " + t.memoryPlanBytes());
            }
        }
        if (org.apbj.parallel.strategy.TinyNiah.testDeviceSpec().startsWith("opencl")) {
            assertTrue(reports.get(0).kernelPreparationSeconds() > 0, "the first request builds the OpenCL programs");
            assertEquals(reports.get(0).kernelPreparationSeconds(), reports.get(0).coldStart().firstCompileSeconds(), 1e-6);
        }
        Path out = dir.resolve("both.json");
        RunReport.write(out, reports);
        assertEquals(2, RunReport.readAll(out).size());
        assertArrayEquals(reports.get(0).generated(), RunReport.readAll(out).get(0).generated());
    }

    @Test
    void argumentsAreValidatedWithTheFix() {
        var e = assertThrows(IllegalArgumentException.class, () -> RankArgs.parse("--model=" + model, "--method=apb", "--context=1,2"));
        assertTrue(e.getMessage().contains("missing --query"), e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> RankArgs.parse("--model=" + model, "--method=fast", "--context=1", "--query=2"));
        assertTrue(e2.getMessage().contains("unknown method 'fast'"), e2.getMessage());
        var e3 = assertThrows(IllegalArgumentException.class, () -> RankArgs.parse("--model=" + model, "--method=apb", "--modle=x"));
        assertTrue(e3.getMessage().contains("Unknown option: '--modle=x'"), e3.getMessage());
        RankArgs ok = RankArgs.parse(args("apb", dir.resolve("o.json")).toArray(String[]::new));
        assertEquals(ok.toString().length() > 0, true);
        assertArrayEquals(query, RankArgs.parse(ok.toArgs()).requests().getFirst().query());
    }
}
