package org.apbj.parallel.transfer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.runtime.Device;
import org.apbj.parallel.comm.Communicator;
import org.apbj.parallel.comm.InProcessRanks;
import org.apbj.parallel.comm.MpjCommunicator;
import org.apbj.parallel.launch.MpjDaemon;
import org.apbj.parallel.launch.MpjLauncher;
import org.apbj.parallel.rank.DeviceChoice;

/**
 * Times the all-gather of APB's passing block on one path: every rank contributes l_p keys and
 * values of every KV head (bf16; 2048 × 8 × 128 × 2 × 2 B = 8 MiB at the 128K/H=8 shape), one
 * collective per layer, as APB prefill does. Prints one line per run ("RESULT {...}") with the
 * time per layer and the bandwidth (bytes each rank receives from the others per second), and
 * checks that every rank received every other rank's block.
 *
 * <pre>
 * AllGatherBench [--ranks=4] [--mode=threads|processes] [--path=auto|device|ipc|host] [--kind=all|prefix]
 *                [--device=auto] [--lp=2048] [--kv-heads=8] [--head-dim=128] [--layers=32] [--warmup=4]
 * </pre>
 * --kind=prefix times what APB prefill runs: rank r receives the blocks of ranks 0..r−1 only
 * (the bandwidth is then the last rank's, which receives the most).
 * threads: ranks are threads of this JVM (in-process communicator); processes: one JVM per rank
 * over MPJ Express niodev on this machine (the IPC and the host path between processes).
 */
public final class AllGatherBench {
    private AllGatherBench() {}

    record Options(int ranks, String mode, CommPath path, String device, int lp, int kvHeads, int headDim, int layers, int warmup,
                   boolean prefix) {
        static Options parse(String[] args) {
            int ranks = 4, lp = 2048, kv = 8, d = 128, layers = 32, warmup = 4;
            String mode = "threads", device = "auto", kind = "all";
            CommPath path = CommPath.AUTO;
            for (String a : args) {
                String[] kvp = a.split("=", 2);
                String v = kvp.length > 1 ? kvp[1] : "";
                switch (kvp[0]) {
                    case "--ranks" -> ranks = Integer.parseInt(v);
                    case "--mode" -> mode = v;
                    case "--path" -> path = CommPath.parse(v);
                    case "--device" -> device = v;
                    case "--lp" -> lp = Integer.parseInt(v);
                    case "--kv-heads" -> kv = Integer.parseInt(v);
                    case "--head-dim" -> d = Integer.parseInt(v);
                    case "--layers" -> layers = Integer.parseInt(v);
                    case "--warmup" -> warmup = Integer.parseInt(v);
                    case "--kind" -> kind = v;
                    case "--rank-process" -> { }
                    default -> throw new IllegalArgumentException("unknown option " + a + " (see AllGatherBench's comment)");
                }
            }
            if (!mode.equals("threads") && !mode.equals("processes")) throw new IllegalArgumentException("--mode=" + mode + ": threads or processes");
            if (ranks < 2) throw new IllegalArgumentException("--ranks=" + ranks + " must be at least 2");
            if (!kind.equals("all") && !kind.equals("prefix")) throw new IllegalArgumentException("--kind=" + kind + ": all or prefix");
            return new Options(ranks, mode, path, device, lp, kv, d, layers, warmup, kind.equals("prefix"));
        }

        List<String> toArgs() {
            return List.of("--ranks=" + ranks, "--mode=" + mode, "--path=" + path.id(), "--device=" + device, "--lp=" + lp,
                    "--kv-heads=" + kvHeads, "--head-dim=" + headDim, "--layers=" + layers, "--warmup=" + warmup,
                    "--kind=" + (prefix ? "prefix" : "all"), "--rank-process");
        }
    }

    public static void main(String[] args) throws Exception {
        if (List.of(args).contains("--rank-process")) {
            MpjCommunicator.Session s = MpjCommunicator.init(args);
            Options o = Options.parse(s.appArgs());
            try {
                String line = run(s.communicator(), o);
                if (line != null) System.out.println(line);
                s.communicator().close();
            } catch (Throwable t) {
                throw s.communicator().abort("all-gather bench failed: " + t, t);
            }
            return;
        }
        Options o = Options.parse(args);
        if (o.mode().equals("threads")) {
            List<String> lines = InProcessRanks.run(o.ranks(), Duration.ofSeconds(120), Duration.ofSeconds(600), comm -> run(comm, o));
            System.out.println(lines.getFirst());
            return;
        }
        Path dir = Files.createTempDirectory("apbj-allgather");
        MpjLauncher launcher = new MpjLauncher();
        try (MpjDaemon daemon = MpjDaemon.start(launcher.home(), dir.resolve("daemon.log"), Duration.ofSeconds(30))) {
            MpjLauncher.Job job = new MpjLauncher.Job(o.ranks(), AllGatherBench.class.getName(), o.toArgs(), MpjLauncher.currentClasspath(),
                    List.of("-Xss8m", "--enable-native-access=ALL-UNNAMED"), dir, dir.resolve("output.txt"))
                    .withTransport(MpjLauncher.Transport.NIODEV).temporary();
            MpjLauncher.Result r = launcher.run(job, Duration.ofSeconds(300));
            String result = r.output().lines().filter(l -> l.startsWith("RESULT ")).findFirst().orElse(null);
            if (result == null) {
                System.out.println(r.output());
                System.out.println("--- daemon ---\n" + daemon.readLog());
                throw new IllegalStateException("the rank processes printed no result (exit " + r.exitCode() + (r.timedOut() ? ", timed out" : "") + ")");
            }
            System.out.println(result);
        }
    }

    /** One rank's part; rank 0 returns the result line. */
    static String run(Communicator comm, Options o) {
        int rank = comm.rank(), n = comm.size();
        int count = o.lp() * o.kvHeads() * o.headDim();
        try (Device device = DeviceChoice.open(o.device(), rank, null);
             DeviceCollectives dc = DeviceCollectives.open(comm, device, o.path());
             BF16Array sendK = device.allocBF16(count); BF16Array sendV = device.allocBF16(count);
             BF16Array recvK = device.allocBF16((long) n * count); BF16Array recvV = device.allocBF16((long) n * count)) {
            BF16Array pattern = BF16Array.allocate(count);
            for (int i = 0; i < count; i++) pattern.set(i, (short) (rank * 7919 + i));
            device.copy(sendK, 0, pattern, 0, count);
            device.copy(sendV, 0, pattern, 0, count);
            List<Exchange.Part> parts = List.of(new Exchange.Part(sendK, 0, recvK, 0), new Exchange.Part(sendV, 0, recvV, 0));
            for (int i = 0; i < o.warmup(); i++) gather(dc, o, count, parts).await();
            device.synchronize();
            comm.barrier();
            long t0 = System.nanoTime();
            for (int l = 0; l < o.layers(); l++) gather(dc, o, count, parts).await();
            device.synchronize();
            long nanos = System.nanoTime() - t0;
            check(device, recvK, recvV, o.prefix() ? rank : n, count);
            float[] all = new float[n];
            comm.allGather(new float[] {nanos / 1e6f}, all);
            if (rank != 0) return null;
            double slowestMs = 0;
            for (float ms : all) slowestMs = Math.max(slowestMs, ms);
            double perLayerMs = slowestMs / o.layers();
            long perRankBytes = 2L * count * 2;
            double gbps = (n - 1) * (double) perRankBytes / (perLayerMs / 1e3) / 1e9;
            return String.format(Locale.ROOT, "RESULT {\"kind\": \"%s\", \"mode\": \"%s\", \"path\": \"%s\", \"ranks\": %d, \"device\": \"%s\", \"per_rank_mib\": %.2f,"
                            + " \"layers\": %d, \"ms_per_layer\": %.4f, \"gb_per_s\": %.2f}", o.prefix() ? "prefix" : "all", o.mode(), dc.path().id(), n, device.name(),
                    perRankBytes / (double) (1 << 20), o.layers(), perLayerMs, gbps);
        }
    }

    private static Transfer gather(DeviceCollectives dc, Options o, int count, List<Exchange.Part> parts) {
        return o.prefix() ? dc.allGatherPrefix(count, parts) : dc.allGather(count, parts);
    }

    /** The blocks of ranks [0, n) arrived: a sample of elements of each against the pattern its rank wrote. */
    private static void check(Device device, BF16Array recvK, BF16Array recvV, int n, int count) {
        BF16Array host = BF16Array.allocate(count);
        for (BF16Array recv : new BF16Array[] {recvK, recvV}) {
            for (int r = 0; r < n; r++) {
                device.copy(host, 0, recv, (long) r * count, count);
                for (int i = 0; i < count; i += Math.max(1, count / 97)) {
                    short want = (short) (r * 7919 + i);
                    if (host.get(i) != want) {
                        throw new IllegalStateException("element " + i + " of rank " + r + "'s block is " + host.get(i) + ", expected " + want);
                    }
                }
            }
        }
        host.close();
    }

}
