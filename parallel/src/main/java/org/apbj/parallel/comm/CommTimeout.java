package org.apbj.parallel.comm;

import java.time.Duration;

/**
 * How long any single wait for other ranks may take before the job is ended: system property
 * {@value #PROPERTY} in seconds (default {@value #DEFAULT_SECONDS}).
 */
public final class CommTimeout {
    public static final String PROPERTY = "apbj.comm.timeout.seconds";
    public static final long DEFAULT_SECONDS = 300;

    private CommTimeout() {}

    public static Duration fromSystemProperty() {
        String v = System.getProperty(PROPERTY);
        if (v == null || v.isBlank()) return Duration.ofSeconds(DEFAULT_SECONDS);
        try {
            double s = Double.parseDouble(v.trim());
            if (!(s > 0)) throw new NumberFormatException("not positive");
            return Duration.ofMillis((long) Math.ceil(s * 1000));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + v
                    + " is not a positive number of seconds (e.g. -D" + PROPERTY + "=300)", e);
        }
    }
}
