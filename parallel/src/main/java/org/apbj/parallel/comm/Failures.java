package org.apbj.parallel.comm;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.apbj.kernels.runtime.DeviceMemoryException;
import org.apbj.kernels.runtime.DeviceUnavailableException;
import org.apbj.weights.WeightsFormatException;

/**
 * Which failures are bad input (the user's to fix: arguments, files, devices, memory) and how
 * any failure reads in one line. One rule for the launcher and for the ranks.
 */
public final class Failures {
    private Failures() {}

    /** Bad input: its message names the problem and the fix, and no trace is needed to act on it. */
    public static boolean isUserError(Throwable t) {
        if (t instanceof RankFailedException r) return r.isUserError();
        return t instanceof IllegalArgumentException || t instanceof WeightsFormatException
                || t instanceof DeviceUnavailableException || t instanceof DeviceMemoryException
                || t instanceof IOException || t instanceof UncheckedIOException;
    }

    /** The first bad-input failure in the cause chain of {@code t}, or null. */
    public static Throwable userError(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (isUserError(c)) return c;
        }
        return null;
    }

    /**
     * One line for {@code t}: the message of the bad input in its cause chain (with the kind of
     * I/O failure, since e.g. NoSuchFileException carries only the path), else the exception
     * itself as "Class: message".
     */
    public static String describe(Throwable t) {
        Throwable u = userError(t);
        if (u == null) return String.valueOf(t).strip().replace('\n', ' ');
        if (u instanceof RankFailedException r) return r.failure().message();
        Throwable io = u instanceof UncheckedIOException x && x.getCause() != null ? x.getCause() : u;
        String m = String.valueOf(io.getMessage()).strip().replace('\n', ' ');
        return io instanceof IOException ? io.getClass().getSimpleName() + ": " + m : m;
    }
}
