package org.apbj.parallel.comm;

/** Process exit statuses of a rank process (MPJ Express). */
public final class ExitCodes {
    /** A rank failed (exception in the model, bad input); the cause is printed. */
    public static final int RANK_FAILED = 2;
    /** A collective did not complete in time: another rank is dead or stuck. */
    public static final int COMM_TIMEOUT = 3;
    /** The ranks were started with different configurations. */
    public static final int CONFIG_MISMATCH = 4;
    /** Another rank's JVM is gone (killed, crashed). */
    public static final int PEER_DIED = 5;
    /** The launcher that started the ranks is gone; the rank ended itself. */
    public static final int LAUNCHER_GONE = 6;

    private ExitCodes() {}
}
