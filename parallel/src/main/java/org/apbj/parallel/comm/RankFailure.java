package org.apbj.parallel.comm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Why a job ended, in one line for the user: which rank (or -1 for the job as a whole), what
 * kind of failure, and the message. A rank process prints it as one marked line
 * ({@value #MARKER}{@code {"rank":1,"cause":"INPUT","message":"..."}}) before its trace and its
 * exit, so that a launcher can find it in the ranks' output and report it once, whatever the
 * number of ranks that failed alike.
 *
 * @param rank    the rank the failure started on; -1 when it concerns the job (a killed JVM, a launcher timeout)
 * @param cause   what kind of failure
 * @param message one line: the problem and, for bad input, the fix
 */
public record RankFailure(int rank, Cause cause, String message) {

    /** Kinds of failure, root causes first: a launcher reports the earliest kind it finds. */
    public enum Cause {
        /** Bad input met on a rank (arguments, files, devices): the user's to fix. */
        INPUT(ExitCodes.RANK_FAILED),
        /** Anything else a rank threw. */
        ERROR(ExitCodes.RANK_FAILED),
        /** The ranks were started with different configurations. */
        MISMATCH(ExitCodes.CONFIG_MISMATCH),
        /** A rank's JVM ended without a word (killed by a signal, crashed); noticed by a peer or the launcher. */
        KILLED(ExitCodes.PEER_DIED),
        /** The launcher that started the ranks is gone. */
        LAUNCHER_GONE(ExitCodes.LAUNCHER_GONE),
        /** The whole job overran the launcher's deadline. */
        JOB_TIMEOUT(ExitCodes.COMM_TIMEOUT),
        /** A collective waited too long: a consequence of another rank dying or hanging. */
        TIMEOUT(ExitCodes.COMM_TIMEOUT);

        private final int exitStatus;

        Cause(int exitStatus) { this.exitStatus = exitStatus; }

        public int exitStatus() { return exitStatus; }

        /** A consequence of a failure elsewhere, reported only when no root cause is known. */
        public boolean consequence() { return this == TIMEOUT; }
    }

    public static final String MARKER = "apbj-rank-failure ";
    private static final ObjectMapper JSON = new ObjectMapper();

    public RankFailure {
        java.util.Objects.requireNonNull(cause, "cause");
        message = message == null ? "" : message.strip().replace('\n', ' ');
    }

    /** The failure of {@code rank} that threw {@code t}: bad input or an error, with its one-line message. */
    public static RankFailure of(int rank, Throwable t) {
        return new RankFailure(rank, Failures.isUserError(t) ? Cause.INPUT : Cause.ERROR, Failures.describe(t));
    }

    /** "rank 1: message", or the message alone for the job as a whole. */
    public String describe() { return rank >= 0 ? "rank " + rank + ": " + message : message; }

    /** The marked line a rank prints. */
    public String line() {
        try {
            return MARKER + JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a failure as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** Prints the marked line, then the trace when there is one. */
    public void print(PrintStream out, Throwable trace) {
        synchronized (out) {
            out.println(line());
            if (trace != null) trace.printStackTrace(out);
            out.flush();
        }
    }

    /** Every marked line in {@code output}, in order. */
    public static List<RankFailure> find(String output) {
        List<RankFailure> out = new ArrayList<>();
        for (String line : output.split("\n")) {
            int at = line.indexOf(MARKER);
            if (at < 0) continue;
            try {
                out.add(JSON.readValue(line.substring(at + MARKER.length()), RankFailure.class));
            } catch (JsonProcessingException e) {
                // a line cut off by a dying process: the others still count
            }
        }
        return out;
    }

    /**
     * The failure to report from {@code output}: the first of the earliest kind in {@link Cause}'s
     * order (a rank's own failure before a killed JVM, before a timeout it caused).
     */
    public static Optional<RankFailure> root(String output) {
        return find(output).stream().min(Comparator.comparingInt(f -> f.cause().ordinal()));
    }
}
