package org.apbj.parallel.launch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An MPJ Express daemon on this machine ({@code runtime.daemon.MPJDaemon PORT}, PORT from
 * conf/mpjexpress.conf): the niodev/hybdev devices ask it to start the rank JVMs (as the
 * {@code java} on PATH). Started and stopped by PID, with every JVM it started.
 */
public final class MpjDaemon implements AutoCloseable {

    private final Process process;
    private final int port;
    private final Path log;

    private MpjDaemon(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Starts the daemon and waits until it accepts connections. */
    public static MpjDaemon start(MpjHome home, Path log, Duration startTimeout) {
        int port = Integer.parseInt(home.conf("mpjexpress.mpjdaemon.port.1"));
        if (listening(port)) {
            throw new IllegalStateException("port " + port + " (mpjexpress.mpjdaemon.port.1) is already in use: another MPJ Express "
                    + "daemon runs here; stop it (mpjhalt) or use the multicore device");
        }
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                String.join(java.io.File.pathSeparator, home.lib("daemon.jar").toString(), home.lib("runtimecommon.jar").toString(),
                        home.lib("log4j-1.2.jar").toString(), home.dependency("commons-io.jar").toString(),
                        home.dependency("commons-codec.jar").toString()),
                "runtime.daemon.MPJDaemon", Integer.toString(port));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("MPJ_HOME", home.dir().toString());
        // the daemon starts rank JVMs as the `java` on PATH: make it this JDK
        pb.environment().put("PATH", Path.of(System.getProperty("java.home"), "bin") + java.io.File.pathSeparator
                + System.getenv().getOrDefault("PATH", ""));
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the MPJ Express daemon: " + e.getMessage(), e);
        }
        MpjDaemon d = new MpjDaemon(p, port, log);
        long deadline = System.nanoTime() + startTimeout.toNanos();
        while (!listening(port)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                d.close();
                throw new IllegalStateException("the MPJ Express daemon did not start listening on port " + port + ": " + d.readLog());
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                d.close();
                throw new IllegalStateException("interrupted while starting the MPJ Express daemon", e);
            }
        }
        return d;
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("localhost", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public long pid() { return process.pid(); }

    public int port() { return port; }

    public String readLog() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** Kills the rank JVMs the daemon started (by PID, children first), then the daemon. */
    @Override
    public void close() {
        ProcessHandle h = process.toHandle();
        h.descendants().forEach(ProcessHandle::destroyForcibly);
        h.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
