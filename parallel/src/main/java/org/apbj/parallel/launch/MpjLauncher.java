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
     */
    public record Job(int ranks, String mainClass, List<String> args, List<String> classpath,
                      List<String> jvmOptions, Path workDir, Path outputFile, Transport transport, List<String> hosts) {
        public Job(int ranks, String mainClass, List<String> args, List<String> classpath, List<String> jvmOptions,
                   Path workDir, Path outputFile) {
            this(ranks, mainClass, args, classpath, jvmOptions, workDir, outputFile, Transport.MULTICORE, List.of("localhost"));
        }

        public Job withTransport(Transport t) {
            return new Job(ranks, mainClass, args, classpath, jvmOptions, workDir, outputFile, t, hosts);
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
            if (ranks < 1) throw new IllegalArgumentException("ranks must be at least 1, got " + ranks);
            Objects.requireNonNull(mainClass, "mainClass");
            args = List.copyOf(args);
            classpath = List.copyOf(classpath);
            jvmOptions = List.copyOf(jvmOptions);
            Objects.requireNonNull(workDir, "workDir");
            Objects.requireNonNull(outputFile, "outputFile");
        }
    }

    /** How a job ended: exit status (or timed out and killed) and its stdout+stderr. */
    public record Result(int exitCode, boolean timedOut, String output, Duration wallTime) {
        public boolean succeeded() { return !timedOut && exitCode == 0; }
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
        cmd.addAll(job.jvmOptions());
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
        cmd.addAll(job.jvmOptions());
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
            return new RunningJob(pb.start(), job.outputFile(), System.nanoTime());
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the MPJ Express job " + job.mainClass() + ": " + e.getMessage(), e);
        }
    }

    /** Starts the job and waits for it at most {@code timeout}; an overrun job is killed. */
    public Result run(Job job, Duration timeout) {
        try (RunningJob running = start(job)) {
            return running.await(timeout);
        }
    }

    /** A started job; closing it kills whatever is still running. */
    public static final class RunningJob implements AutoCloseable {
        private final Process process;
        private final Path output;
        private final long startNanos;

        RunningJob(Process process, Path output, long startNanos) {
            this.process = process;
            this.output = output;
            this.startNanos = startNanos;
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
                return Files.exists(output) ? Files.readString(output, StandardCharsets.UTF_8) : "";
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

        @Override
        public void close() {
            if (process.isAlive() || process.toHandle().descendants().findAny().isPresent()) kill();
        }
    }
}
