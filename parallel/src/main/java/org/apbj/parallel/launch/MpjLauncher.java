package org.apbj.parallel.launch;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apbj.parallel.comm.RankFailure;

/**
 * Starts an MPJ Express job with the multicore device: N ranks as threads of one child JVM,
 * each running {@code main(String[])} of the given class in its own class loader.
 *
 * <p>Why not {@code mpjrun}: on JDK 25 its child JVM cannot load log4j through the manifest
 * Class-Path of the (symlinked) Debian jars, and a rank's exception leaves its exit status 0.
 * So the launcher starts the child itself exactly as mpjrun would ({@code
 * runtime.starter.MulticoreStarter wdir np smpdev useLocalLoader classpath class args}), with
 * log4j on its class path, and keeps the process handle: ranks report failures by exiting
 * non-zero (see RankMain), and a job that overruns its deadline is killed with its whole
 * process tree.
 */
public final class MpjLauncher {

    private static final Pattern MPJ_JAR = Pattern.compile("(?i).*(^|[/\\\\])(mpj|mpi|mpjdev)(-[0-9.]+)?\\.jar$");
    private static final List<String> STARTER_JARS =
            List.of("smpdev.jar", "xdev.jar", "mpjbuf.jar", "loader2.jar", "starter.jar", "mpiExp.jar", "runtimecommon.jar", "log4j-1.2.jar");

    /** MPJ Express devices the launcher drives. */
    public enum Transport {
        /** Ranks as threads of one JVM started here. */
        MULTICORE,
        /** One JVM per rank over TCP, started by the MPJ Express daemon of each host (see {@link MpjDaemon}). */
        NIODEV
    }

    /**
     * One job. {@code classpath}: the application's class path (MPJ's own jars are removed:
     * MPJ Express adds them itself). {@code jvmOptions}: options of the rank JVMs (-Xmx, -D...;
     * single tokens). {@code hosts}: the machines file for niodev (default: localhost).
     * {@code temporaryWorkDir}: the work folder is the job's alone and is deleted when the job
     * ends, on every path: normal end, failure, timeout, this JVM shutting down, and (by the
     * ranks, see {@link JobWatch}) this JVM being killed.
     */
    public record Job(int ranks, String mainClass, List<String> args, List<String> classpath,
                      List<String> jvmOptions, Path workDir, Path outputFile, Transport transport, List<String> hosts,
                      boolean temporaryWorkDir) {
        public Job(int ranks, String mainClass, List<String> args, List<String> classpath, List<String> jvmOptions,
                   Path workDir, Path outputFile) {
            this(ranks, mainClass, args, classpath, jvmOptions, workDir, outputFile, Transport.MULTICORE, List.of("localhost"), false);
        }

        public Job withTransport(Transport t) {
            return new Job(ranks, mainClass, args, classpath, jvmOptions, workDir, outputFile, t, hosts, temporaryWorkDir);
        }

        /** This job with its work folder deleted when it ends (see the class comment). */
        public Job temporary() {
            return new Job(ranks, mainClass, args, classpath, jvmOptions, workDir, outputFile, transport, hosts, true);
        }

        public Job {
            Objects.requireNonNull(transport, "transport");
            hosts = List.copyOf(hosts);
            if (hosts.isEmpty()) throw new IllegalArgumentException("no hosts for the machines file");
            for (String o : jvmOptions) {
                if (!o.startsWith("-") || o.contains(" ")) {
                    throw new IllegalArgumentException("JVM option '" + o + "' must be one token starting with '-' (e.g. -Xmx8g, -Dkey=value)");
                }
            }
            if (ranks < 1) throw new IllegalArgumentException("--ranks=" + ranks + " must be at least 1");
            Objects.requireNonNull(mainClass, "mainClass");
            args = List.copyOf(args);
            classpath = List.copyOf(classpath);
            jvmOptions = List.copyOf(jvmOptions);
            Objects.requireNonNull(workDir, "workDir");
            Objects.requireNonNull(outputFile, "outputFile");
        }

        /** The rank JVMs' options: the job's, and what their {@link JobWatch} needs. */
        List<String> rankJvmOptions() {
            List<String> o = new ArrayList<>(jvmOptions);
            o.add("-D" + JobWatch.LAUNCHER + "=" + JobWatch.identity());
            o.add("-D" + JobWatch.JOB_DIR + "=" + workDir.toAbsolutePath());
            if (temporaryWorkDir) o.add("-D" + JobWatch.CLEANUP + "=true");
            return o;
        }

        /** "ranks 0-3" (or "rank 0"): what one rank JVM of this job holds. */
        String ranksHeldByOneJvm(int rank) {
            if (transport == Transport.NIODEV) return "rank " + rank;
            return ranks == 1 ? "rank 0" : "ranks 0-" + (ranks - 1);
        }
    }

    /** How a job ended: exit status (or timed out and killed) and its stdout+stderr. */
    public record Result(int exitCode, boolean timedOut, String output, Duration wallTime) {
        public boolean succeeded() { return !timedOut && exitCode == 0; }
    }

    /**
     * Why {@code job} failed, from how it ended: the first root cause a rank reported (see
     * {@link RankFailure#root}); else a rank JVM killed by a signal (exit status 128 + N), a
     * timeout, or a non-zero status without a word. Empty when nothing failed.
     */
    public static java.util.Optional<RankFailure> failure(Job job, Result r) {
        java.util.Optional<RankFailure> reported = RankFailure.root(r.output());
        if (reported.isPresent()) return reported;
        if (r.timedOut()) {
            return java.util.Optional.of(new RankFailure(-1, RankFailure.Cause.JOB_TIMEOUT, "the MPJ Express job did not end within "
                    + r.wallTime().toSeconds() + " s and was killed (--comm-timeout bounds each wait between ranks)"));
        }
        if (r.exitCode() > 128 && r.exitCode() < 128 + 65) {
            int signal = r.exitCode() - 128;
            return java.util.Optional.of(new RankFailure(-1, RankFailure.Cause.KILLED, "rank JVM killed by " + Signals.name(signal)
                    + " (signal " + signal + "), holding " + job.ranksHeldByOneJvm(0)
                    + (signal == 9 ? "; by someone, or by the kernel for lack of memory (see dmesg)" : "")));
        }
        if (r.exitCode() != 0) {
            return java.util.Optional.of(new RankFailure(-1, RankFailure.Cause.ERROR, "the rank JVM exited with status "
                    + r.exitCode() + " without saying why; its output is in the log"));
        }
        return java.util.Optional.empty();
    }

    private final MpjHome home;

    public MpjLauncher(MpjHome home) { this.home = home; }

    public MpjLauncher() { this(MpjHome.locate()); }

    public MpjHome home() { return home; }

    /**
     * The class path this code runs from: Surefire's test class path under Maven; else the
     * URLs of the class loaders above this class (a launcher such as the JUnit console loads
     * the application in its own loader), then java.class.path.
     */
    public static List<String> currentClasspath() {
        String cp = System.getProperty("surefire.test.class.path");
        if (cp != null && !cp.isBlank()) return split(cp);
        java.util.LinkedHashSet<String> entries = new java.util.LinkedHashSet<>();
        for (ClassLoader l = MpjLauncher.class.getClassLoader(); l != null; l = l.getParent()) {
            if (l instanceof java.net.URLClassLoader u) {
                for (java.net.URL url : u.getURLs()) {
                    try {
                        entries.add(Path.of(url.toURI()).toString());
                    } catch (java.net.URISyntaxException | IllegalArgumentException e) {
                        // not a local file: a rank JVM could not use it either
                    }
                }
            }
        }
        entries.addAll(split(System.getProperty("java.class.path")));
        return List.copyOf(entries);
    }

    private static List<String> split(String cp) {
        return Arrays.stream(cp.split(File.pathSeparator)).filter(s -> !s.isBlank()).toList();
    }

    /** The command line that starts the job. */
    public List<String> command(Job job) {
        return job.transport() == Transport.NIODEV ? niodevCommand(job) : multicoreCommand(job);
    }

    private List<String> applicationClasspath(Job job) {
        List<String> appCp = job.classpath().stream().filter(e -> !MPJ_JAR.matcher(e).matches()).toList();
        if (appCp.isEmpty()) throw new IllegalArgumentException("empty application class path for " + job.mainClass());
        return appCp;
    }

    /**
     * niodev through runtime.starter.MPJRun: it asks the daemons to start one JVM per rank with
     * the application class path, to which log4j and mpj.jar are added (the rank JVMs load them
     * with the application class loader). Note: MPJRun's own exit status does not reflect the
     * ranks'; read the ranks' output or report.
     */
    private List<String> niodevCommand(Job job) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(String.join(File.pathSeparator, home.lib("starter.jar").toString(), home.lib("log4j-1.2.jar").toString(),
                home.lib("runtimecommon.jar").toString()));
        cmd.add("runtime.starter.MPJRun");
        cmd.addAll(List.of("-np", Integer.toString(job.ranks()), "-dev", "niodev",
                "-machinesfile", job.workDir().toAbsolutePath().resolve("machines").toString(),
                "-wdir", job.workDir().toAbsolutePath().toString()));
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.addAll(job.rankJvmOptions());
        List<String> cp = new ArrayList<>(applicationClasspath(job));
        cp.add(home.lib("log4j-1.2.jar").toString());
        cp.add(home.lib("mpj.jar").toString());
        cmd.add("-cp");
        cmd.add(String.join(File.pathSeparator, cp));
        cmd.add(job.mainClass());
        cmd.addAll(job.args());
        return cmd;
    }

    private List<String> multicoreCommand(Job job) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.addAll(job.rankJvmOptions());
        cmd.add("-cp");
        cmd.add(String.join(File.pathSeparator, STARTER_JARS.stream().map(j -> home.lib(j).toString()).toList()));
        cmd.add("runtime.starter.MulticoreStarter");
        cmd.add(job.workDir().toAbsolutePath().toString());
        cmd.add(Integer.toString(job.ranks()));
        cmd.add("smpdev");
        cmd.add("useLocalLoader");
        cmd.add(String.join(File.pathSeparator, applicationClasspath(job)));
        cmd.add(job.mainClass());
        cmd.addAll(job.args());
        return cmd;
    }

    /** Starts the job; stdout and stderr go to {@code job.outputFile()}. */
    public RunningJob start(Job job) {
        ProcessBuilder pb = new ProcessBuilder(command(job))
                .directory(job.workDir().toFile())
                .redirectErrorStream(true)
                .redirectOutput(job.outputFile().toFile());
        pb.environment().put("MPJ_HOME", home.dir().toString());
        try {
            Files.createDirectories(job.workDir());
            if (job.transport() == Transport.NIODEV) Files.write(job.workDir().resolve("machines"), job.hosts());
            return new RunningJob(pb.start(), job, System.nanoTime());
        } catch (IOException e) {
            if (job.temporaryWorkDir()) JobWatch.deleteTree(job.workDir());
            throw new UncheckedIOException("could not start the MPJ Express job " + job.mainClass() + ": " + e.getMessage(), e);
        }
    }

    /** Starts the job and waits for it at most {@code timeout}; an overrun job is killed. */
    public Result run(Job job, Duration timeout) {
        try (RunningJob running = start(job)) {
            return running.await(timeout);
        }
    }

    /**
     * A started job; closing it kills whatever is still running (and deletes a temporary work
     * folder). If this JVM shuts down first (Ctrl-C, SIGTERM), a shutdown hook does the same.
     */
    public static final class RunningJob implements AutoCloseable {
        private final Process process;
        private final Job job;
        private final long startNanos;
        private final Thread onShutdown;
        private boolean closed;

        RunningJob(Process process, Job job, long startNanos) {
            this.process = process;
            this.job = job;
            this.startNanos = startNanos;
            this.onShutdown = new Thread(this::end, "apbj-mpj-job-cleanup");
            Runtime.getRuntime().addShutdownHook(onShutdown);
        }

        public long pid() { return process.pid(); }

        public Result await(Duration timeout) {
            boolean done;
            try {
                done = process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                done = false;
            }
            if (!done) kill();
            Duration wall = Duration.ofNanos(System.nanoTime() - startNanos);
            return new Result(done ? process.exitValue() : -1, !done, readOutput(), wall);
        }

        public String readOutput() {
            try {
                return Files.exists(job.outputFile()) ? Files.readString(job.outputFile(), StandardCharsets.UTF_8) : "";
            } catch (IOException e) {
                return "(output unreadable: " + e + ")";
            }
        }

        /** Kills the process and its descendants by PID, children first. */
        public void kill() {
            ProcessHandle h = process.toHandle();
            h.descendants().forEach(ProcessHandle::destroyForcibly);
            h.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private synchronized void end() {
            if (closed) return;
            closed = true;
            if (process.isAlive() || process.toHandle().descendants().findAny().isPresent()) kill();
            if (job.temporaryWorkDir()) JobWatch.deleteTree(job.workDir());
        }

        @Override
        public void close() {
            end();
            try {
                Runtime.getRuntime().removeShutdownHook(onShutdown);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or has run: it did the same
            }
        }
    }
}
