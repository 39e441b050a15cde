package org.apbj.kernels.runtime;

/** A device allocation failed; the message states what was asked, what is free and the total. */
public class DeviceMemoryException extends RuntimeException {
    public DeviceMemoryException(String message) { super(message); }
    public DeviceMemoryException(String message, Throwable cause) { super(message, cause); }

    /** "1.50 GiB (1610612736 bytes)". */
    public static String bytes(long n) {
        if (n < 0) return "unknown";
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%.2f %s (%d bytes)", v, units[u], n);
    }
}
