package org.apbj.parallel.rank;

/**
 * Fault injection for tests of the failure paths, off unless the system property
 * {@value #PROPERTY} is set: {@code throw:R} makes rank R throw, {@code hang:R} makes it stop
 * answering, just before its first prefill (model loaded, device open). Launchers pass the
 * property on to rank JVMs.
 */
public final class Fault {
    public static final String PROPERTY = "apbj.fault";

    private Fault() {}

    /** Injects the configured fault if it is for {@code rank}. */
    static void at(int rank) {
        String spec = System.getProperty(PROPERTY);
        if (spec == null || spec.isBlank()) return;
        String[] p = spec.strip().split(":", 2);
        if (p.length != 2 || !p[1].matches("\\d+")) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + spec + " must be throw:RANK or hang:RANK");
        }
        if (Integer.parseInt(p[1]) != rank) return;
        switch (p[0]) {
            case "throw" -> throw new IllegalStateException("injected fault on rank " + rank + " (-D" + PROPERTY + "=" + spec + ")");
            case "hang" -> {
                try {
                    Thread.sleep(Long.MAX_VALUE);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("injected hang on rank " + rank + " interrupted", e);
                }
            }
            default -> throw new IllegalArgumentException("-D" + PROPERTY + "=" + spec + " must be throw:RANK or hang:RANK");
        }
    }
}
