package org.apbj.parallel.rank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apbj.parallel.comm.RankFailure;
import org.apbj.parallel.launch.MpjDaemon;
import org.apbj.parallel.launch.MpjLauncher;
import org.apbj.parallel.strategy.StrategyOptions;
import org.apbj.parallel.strategy.TinyNiah;

/**
 * A ring job of three rank processes (MPJ Express niodev) whose device data takes a forced
 * communication path; rank 1 stops in the FFN of layer 1 while ranks 0 and 2 go on into the
 * next layer's shift (rank 0 sending to it, rank 2 receiving from it), and is then killed. The
 * other ranks must end within 30 s, the job naming rank 1 as killed, although the communication
 * timeout (200 s) is far off: the peers' watch ends them, whatever the path holds (pinned host
 * staging and MPJ on the host path, opened IPC memory and events on the IPC path).
 */
final class KilledRankJob {
    private KilledRankJob() {}

    static void run(Path dir, String device, String commPath) throws Exception {
        int[][] request = TinyNiah.request(120);   // 3 ranks: blocks of 40
        List<String> args = List.of("hang", "--model=" + TinyNiah.dir(), "--method=ring", "--context=" + join(request[0]),
                "--query=" + join(request[1]), "--qpos=2", "--max-tokens=2", "--device=" + device, "--comm-timeout=200",
                "--output=" + dir.resolve("never.json"));
        MpjLauncher launcher = new MpjLauncher();
        try (MpjDaemon daemon = MpjDaemon.start(launcher.home(), dir.resolve("daemon.log"), Duration.ofSeconds(30))) {
            MpjLauncher.Job job = new MpjLauncher.Job(3, FaultyRankMain.class.getName(), args, MpjLauncher.currentClasspath(),
                    List.of("-Xss8m", "-D" + StrategyOptions.COMM_PATH_PROPERTY + "=" + commPath), dir, dir.resolve("kill-" + commPath + ".log"))
                    .withTransport(MpjLauncher.Transport.NIODEV);
            try (MpjLauncher.RunningJob running = launcher.start(job)) {
                long deadline = System.nanoTime() + Duration.ofSeconds(150).toNanos();
                long[] pids = new long[3];
                for (int r = 0; r < 3; r++) {
                    Path pidFile = dir.resolve("ranks").resolve(r + ".pid");
                    while (!Files.exists(pidFile)) {
                        assertTrue(System.nanoTime() < deadline, "rank " + r + " did not start:\n" + running.readOutput() + daemon.readLog());
                        Thread.sleep(100);
                    }
                    pids[r] = Long.parseLong(Files.readString(pidFile).strip().split(" ")[0]);
                }
                // reaching layer 1 proves the forced path opened: a path the ranks cannot take is refused at the first prefill
                while (!running.readOutput().contains(FailingLayerSteps.HANG_LINE + 1)) {
                    assertTrue(System.nanoTime() < deadline, "rank 1 never reached layer 1 on the " + commPath + " path:\n"
                            + running.readOutput() + daemon.readLog());
                    Thread.sleep(100);
                }
                Thread.sleep(1000);   // ranks 0 and 2 are now inside layer 2's shift, waiting for rank 1
                assertTrue(ProcessHandle.of(pids[0]).isPresent() && ProcessHandle.of(pids[2]).isPresent(),
                        "ranks 0 and 2 ended before the kill:\n" + running.readOutput());
                ProcessHandle.of(pids[1]).ifPresent(ProcessHandle::destroyForcibly);
                long killed = System.nanoTime();
                for (int r : new int[] {0, 2}) {
                    Optional<ProcessHandle> h = ProcessHandle.of(pids[r]);
                    if (h.isPresent()) h.get().onExit().get(30, TimeUnit.SECONDS);
                }
                double seconds = (System.nanoTime() - killed) / 1e9;
                assertTrue(seconds < 30, "on the " + commPath + " path the other ranks ended " + seconds + " s after the kill");
                MpjLauncher.Result r = running.await(Duration.ofSeconds(30));
                String all = r.output() + "\n--- daemon ---\n" + daemon.readLog();
                RankFailure root = RankFailure.root(all).orElseThrow(() -> new AssertionError("no failure reported:\n" + all));
                assertEquals(1, root.rank(), all);
                assertEquals(RankFailure.Cause.KILLED, root.cause(), all);
                assertTrue(root.message().contains("(pid " + pids[1] + ") is gone"), all);
                assertTrue(!Files.exists(dir.resolve("never.json")), "a killed job wrote no report");
                System.out.printf("%s path: the job ended %.1f s after rank 1 was killed: %s%n", commPath, seconds, root.message());
            }
        }
    }

    private static String join(int[] ids) {
        return String.join(",", Arrays.stream(ids).mapToObj(Integer::toString).toList());
    }
}
