package org.apbj.parallel.comm;

/**
 * A job ended because of a failure on one of its ranks (or of the job itself: a killed rank JVM,
 * a launcher timeout). {@link #getMessage()} is one line, "rank R: message"; {@link #details()}
 * holds the ranks' output (traces) where the ranks were processes, for a log file.
 */
public class RankFailedException extends CommunicationException {
    private final RankFailure failure;
    private final String details;

    public RankFailedException(RankFailure failure, Throwable cause, String details) {
        super(failure.describe(), cause);
        this.failure = failure;
        this.details = details;
    }

    public RankFailure failure() { return failure; }

    /** The ranks' output, or null when they ran in this JVM (then the cause has the trace). */
    public String details() { return details; }

    /** Whether the failure is bad input, the user's to fix (else an error, a fault or a timeout). */
    public boolean isUserError() { return failure.cause() == RankFailure.Cause.INPUT; }
}
