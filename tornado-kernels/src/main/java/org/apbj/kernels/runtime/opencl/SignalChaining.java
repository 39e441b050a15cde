package org.apbj.kernels.runtime.opencl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import org.apbj.kernels.runtime.DeviceUnavailableException;

/**
 * PoCL compiles kernels with LLVM, and LLVM installs its own handlers for SIGSEGV, SIGBUS, SIGILL
 * and SIGFPE (with SA_RESETHAND) every time it writes a file. The JVM takes SIGSEGV in normal
 * operation (safepoint polls, implicit null checks), so while LLVM's handler is in place a
 * safepoint can reset the signal to its default action and kill the JVM with exit code 139 and no
 * error report, at random. The JVM's signal-chaining library ({@code libjsig}, preloaded) keeps
 * the JVM's handlers first and chains to LLVM's, which removes the race. This check refuses a
 * PoCL device in a JVM without it, naming the fix, instead of letting it crash some time later.
 */
final class SignalChaining {
    private SignalChaining() {}

    static final String LIBRARY = "libjsig";

    /** Throws unless the JVM preloaded libjsig, when the platform is PoCL on Linux. */
    static void requireFor(String platformName) {
        if (!isPocl(platformName) || !isLinux()) return;
        String maps;
        try {
            maps = Files.readString(Path.of("/proc/self/maps"));
        } catch (IOException e) {
            return; // no /proc: nothing to check against
        }
        if (!maps.contains(LIBRARY)) throw new DeviceUnavailableException(missingMessage(platformName));
    }

    static boolean isPocl(String platformName) {
        String p = platformName.toLowerCase(Locale.ROOT);
        return p.contains("pocl") || p.contains("portable computing language");
    }

    static String missingMessage(String platformName) {
        String javaHome = System.getProperty("java.home");
        return "OpenCL platform '" + platformName + "' (PoCL) replaces the JVM's signal handlers when it compiles a"
                + " kernel, which crashes the JVM at random; start Java with the JVM's signal-chaining library"
                + " preloaded: LD_PRELOAD=" + javaHome + "/lib/" + LIBRARY + ".so (the apbj launcher and the"
                + " Maven build do this)";
    }

    private static boolean isLinux() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux");
    }
}
