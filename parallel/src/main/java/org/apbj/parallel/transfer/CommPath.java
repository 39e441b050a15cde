package org.apbj.parallel.transfer;

import java.util.Locale;

/**
 * How the bytes of a device collective travel (MPJ Express orders and times every one of them):
 * {@link #DEVICE} device-to-device copies between ranks that are threads of one JVM (peer copies
 * between GPUs, plain copies on a shared GPU); {@link #IPC} CUDA IPC between rank processes of one
 * machine; {@link #HOST} through host memory and MPJ Express, the way between machines.
 * {@link #AUTO} picks the fastest the ranks share.
 */
public enum CommPath {
    AUTO, DEVICE, IPC, HOST;

    public String id() { return name().toLowerCase(Locale.ROOT); }

    /** "auto", "device", "ipc" or "host" (the {@code --comm-path} flag). */
    public static CommPath parse(String s) {
        if (s == null || s.isBlank()) return AUTO;
        for (CommPath p : values()) if (p.id().equals(s.strip().toLowerCase(Locale.ROOT))) return p;
        throw new IllegalArgumentException("--comm-path " + s + " is not one of auto, device, ipc, host");
    }
}
