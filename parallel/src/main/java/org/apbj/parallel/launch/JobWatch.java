package org.apbj.parallel.launch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.apbj.parallel.comm.RankFailure;

/**
 * A rank process watching the processes it depends on, so that no rank outlives its job:
 * <ul>
 *   <li>the launcher ({@value #LAUNCHER} = "PID,START_MILLIS,HOST", set by {@link MpjLauncher}):
 *       when it is gone (killed with SIGKILL, say) the rank deletes the job's temporary folder
 *       ({@value #CLEANUP}) and ends itself, within {@link #PERIOD} or so;</li>
 *   <li>its peers, when ranks are JVMs of their own (niodev): each rank leaves
 *       {@code JOBDIR/ranks/R.pid}; a peer on this host whose process is gone before it said
 *       it was done ends this rank too, naming the peer. MPJ Express itself would wait forever
 *       on a dead peer's socket.</li>
 * </ul>
 * Ranks that are threads of one JVM (multicore) share their fate already; the peer check skips
 * them. A watch is one daemon thread; {@link #finishing()} stops the peer check before the
 * ranks part (MPI.Finalize), so ranks that end normally one after the other are not mistaken
 * for dead ones.
 */
public final class JobWatch implements AutoCloseable {
    /** The launcher process: "PID,START_MILLIS,HOST". */
    public static final String LAUNCHER = "apbj.launcher";
    /** The job's work folder (where ranks leave their pid files). */
    public static final String JOB_DIR = "apbj.job.dir";
    /** "true": the job folder is temporary; the rank that finds the launcher gone deletes it. */
    public static final String CLEANUP = "apbj.job.cleanup";
    static final Duration PERIOD = Duration.ofSeconds(1);

    private final int rank;
    private final int size;
    private final Consumer<RankFailure> onFailure;
    private final String launcher;
    private final Path jobDir;
    private final boolean cleanup;
    private final Thread thread;
    private volatile boolean peersDone;
    private volatile boolean closed;

    private JobWatch(int rank, int size, Consumer<RankFailure> onFailure) {
        this.rank = rank;
        this.size = size;
        this.onFailure = onFailure;
        this.launcher = System.getProperty(LAUNCHER);
        String dir = System.getProperty(JOB_DIR);
        this.jobDir = dir == null || dir.isBlank() ? null : Path.of(dir);
        this.cleanup = Boolean.getBoolean(CLEANUP);
        this.thread = new Thread(this::loop, "apbj-job-watch-rank-" + rank);
        thread.setDaemon(true);
    }

    /**
     * Starts watching for rank {@code rank} of {@code size} (nothing to watch without the system
     * properties); {@code onFailure} ends the process with the failure.
     */
    public static JobWatch start(int rank, int size, Consumer<RankFailure> onFailure) {
        JobWatch w = new JobWatch(rank, size, onFailure);
        if (w.jobDir != null) w.writePidFile();
        if (w.launcher != null || w.jobDir != null) w.thread.start();
        return w;
    }

    /** "PID,START_MILLIS,HOST" of this process: what {@link #LAUNCHER} holds. */
    public static String identity() {
        ProcessHandle self = ProcessHandle.current();
        long start = self.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(0L);
        return self.pid() + "," + start + "," + host();
    }

    /** This machine's name (from the kernel; no name service lookup). */
    static String host() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (IOException | RuntimeException e) {
            try {
                return java.net.InetAddress.getLocalHost().getHostName();
            } catch (IOException e2) {
                return "localhost";
            }
        }
    }

    /** This rank ends normally from now on: say so to the peers and stop checking them. */
    public void finishing() {
        peersDone = true;
        if (jobDir != null) {
            try {
                Files.writeString(ranksDir().resolve(rank + ".done"), "done\n");
            } catch (IOException e) {
                // the peers then treat our normal exit as a death only if they still wait for us: they don't
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }

    private Path ranksDir() { return jobDir.resolve("ranks"); }

    private void writePidFile() {
        try {
            Files.createDirectories(ranksDir());
            Path tmp = ranksDir().resolve(rank + ".pid.tmp-" + ProcessHandle.current().pid());
            Files.writeString(tmp, ProcessHandle.current().pid() + " " + host() + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, ranksDir().resolve(rank + ".pid"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            System.err.println("apbj: rank " + rank + ": cannot write its pid file in " + ranksDir() + " (" + e
                    + "): a dead peer will be noticed only by the communication timeout");
        }
    }

    private void loop() {
        while (!closed) {
            try {
                Thread.sleep(PERIOD.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            if (launcherGone()) {
                if (cleanup && jobDir != null) deleteTree(jobDir);
                onFailure.accept(new RankFailure(rank, RankFailure.Cause.LAUNCHER_GONE,
                        "the launcher (" + launcher + ") is gone; rank " + rank + " ends itself"));
                return;
            }
            if (!peersDone && jobDir != null) {
                Optional<RankFailure> dead = deadPeer();
                if (dead.isPresent() && !peersDone) {
                    onFailure.accept(dead.get());
                    return;
                }
            }
        }
    }

    /**
     * A peer whose JVM is gone, looked for now (and for up to {@code grace} while it is being torn
     * down): a rank whose collective failed asks this first, so that the job names the dead rank
     * rather than the broken connection its death left behind.
     */
    public Optional<RankFailure> peerGone(Duration grace) {
        if (jobDir == null || peersDone) return Optional.empty();
        long deadline = System.nanoTime() + grace.toNanos();
        while (true) {
            Optional<RankFailure> dead = deadPeer();
            if (dead.isPresent() || System.nanoTime() >= deadline) return dead;
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }
    }

    private boolean launcherGone() {
        if (launcher == null) return false;
        String[] p = launcher.split(",", 3);
        if (p.length != 3 || !p[2].equals(host())) return false;   // another machine's: not ours to check
        try {
            Optional<ProcessHandle> h = ProcessHandle.of(Long.parseLong(p[0]));
            if (h.isEmpty() || !h.get().isAlive()) return true;
            long start = h.get().info().startInstant().map(java.time.Instant::toEpochMilli).orElse(0L);
            return Long.parseLong(p[1]) != 0 && start != 0 && start != Long.parseLong(p[1]);   // the pid was reused
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** A peer on this host whose JVM is gone before it was done. */
    private Optional<RankFailure> deadPeer() {
        long me = ProcessHandle.current().pid();
        String host = host();
        try (var files = Files.list(ranksDir())) {
            List<Path> pids = files.filter(x -> x.getFileName().toString().endsWith(".pid")).toList();
            int mine = 0;
            for (Path f : pids) {
                String name = f.getFileName().toString();
                int peer = Integer.parseInt(name.substring(0, name.length() - 4));
                String[] pidHost = Files.readString(f).strip().split(" ", 2);
                long pid = Long.parseLong(pidHost[0]);
                if (pid == me) mine++;
                if (pid == me || pidHost.length < 2 || !pidHost[1].equals(host)) continue;
                if (Files.exists(ranksDir().resolve(peer + ".done"))) continue;
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) continue;
                return Optional.of(new RankFailure(peer, RankFailure.Cause.KILLED, "rank JVM (pid " + pid
                        + ") is gone (killed or crashed) before the job ended; rank " + rank + " noticed and ends the job"));
            }
            // every rank is a thread of this JVM (multicore): they share its fate, nothing to watch
            if (mine == size) peersDone = true;
        } catch (IOException | RuntimeException e) {
            // a folder being deleted or a half-written file: look again next period
        }
        return Optional.empty();
    }

    static void deleteTree(Path dir) {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException | RuntimeException e) {
            // best effort: another rank may be deleting it too
        }
    }
}
