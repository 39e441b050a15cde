package org.apbj.kernels.jit;

import org.apbj.kernels.api.Mbarrier;

/**
 * Compile-time debugging switches read from system properties. Each changes the generated code,
 * so {@link CacheKey} includes it: a kernel cached without a switch is never reused with it.
 */
public final class DebugOptions {
    private DebugOptions() {}

    /**
     * {@link Mbarrier#DEBUG_SPINS_PROPERTY}: tries of an mbarrier wait loop before it executes
     * {@code trap;} (a hung hand-off becomes a launch error), or 0 when unset (wait forever).
     */
    public static long mbarrierDebugSpins() {
        String v = System.getProperty(Mbarrier.DEBUG_SPINS_PROPERTY);
        if (v == null || v.isBlank()) return 0;
        try {
            long n = Long.parseLong(v.trim());
            if (n > 0 && n < 1L << 32) return n;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("-D" + Mbarrier.DEBUG_SPINS_PROPERTY + "=" + v
                + " is not a count of tries in 1..4294967295: give a positive number, or leave it unset");
    }
}
