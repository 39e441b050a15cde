package org.apbj.kernels.jit;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Runs NVIDIA's ptxas on PTX text, when ptxas is on the PATH. */
final class Ptxas {
    private Ptxas() {}

    static boolean available() {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String dir : path.split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, "ptxas"))) return true;
        }
        return false;
    }

    /** What {@code ptxas -v} reports for one kernel. */
    record Resources(int registers, int stackFrameBytes, int spillStoreBytes, int sharedBytes, String report) {}

    /** Assembles {@code ptx} with {@code -v}; throws with ptxas's output when it fails. */
    static Resources resources(String ptx, String arch, Path workDir) throws IOException, InterruptedException {
        Path file = Files.createTempFile(workDir, "kernel", ".ptx");
        Path cubin = Files.createTempFile(workDir, "kernel", ".cubin");
        Files.writeString(file, ptx, StandardCharsets.UTF_8);
        Process p = new ProcessBuilder("ptxas", "-v", "-arch=" + arch, file.toString(), "-o", cubin.toString())
                .redirectErrorStream(true).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("ptxas timed out after 120 s");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) throw new IOException("ptxas exit " + p.exitValue() + ":\n" + out);
        return new Resources(number(out, "Used (\\d+) registers"), number(out, "(\\d+) bytes stack frame"),
                number(out, "(\\d+) bytes spill stores"), number(out, "(\\d+) bytes smem"), out);
    }

    private static int number(String text, String regex) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(regex).matcher(text);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    /** Assembles {@code ptx} for {@code arch}; returns null on success, else ptxas's output. */
    static String check(String ptx, String arch, Path workDir) throws IOException, InterruptedException {
        Path file = Files.createTempFile(workDir, "kernel", ".ptx");
        Path cubin = Files.createTempFile(workDir, "kernel", ".cubin");
        Files.writeString(file, ptx, StandardCharsets.UTF_8);
        Process p = new ProcessBuilder("ptxas", "-arch=" + arch, file.toString(), "-o", cubin.toString())
                .redirectErrorStream(true).start();
        boolean done = p.waitFor(60, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
            return "ptxas timed out after 60 s";
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return p.exitValue() == 0 ? null : "ptxas exit " + p.exitValue() + ":\n" + out;
    }
}
