package org.apbj.kernels.runtime;

import org.apbj.kernels.api.DeviceArray;

/** Validates a {@link Device#copy} request before any bytes move. */
public final class CopyChecks {
    private CopyChecks() {}

    /** Where one side of a copy lives, as seen from the copying device. */
    public enum Side { HOST, DEVICE }

    /**
     * Checks element types, ranges and ownership; returns where the source and destination live
     * ({@code [dst, src]}).
     */
    public static Side[] check(Device device, DeviceArray dst, long dstIndex, DeviceArray src, long srcIndex, long count) {
        if (dst == null || src == null) throw new IllegalArgumentException("copy: null array (dst=" + dst + ", src=" + src + ")");
        if (dst.getClass() != src.getClass()) {
            throw new IllegalArgumentException("copy: element types differ: destination " + dst + ", source " + src
                    + "; copy between arrays of the same type (convert on the host or with a kernel)");
        }
        if (count < 0 || dstIndex < 0 || srcIndex < 0
                || dstIndex > dst.length() - count || srcIndex > src.length() - count) {
            throw new IndexOutOfBoundsException("copy of " + count + " elements from " + src + " at " + srcIndex
                    + " to " + dst + " at " + dstIndex + " is out of range");
        }
        return new Side[] {side(device, dst, "destination"), side(device, src, "source")};
    }

    private static Side side(Device device, DeviceArray a, String role) {
        Object owner = a.buffer().owner();
        if (owner == device) return a.isHostAccessible() ? Side.HOST : Side.DEVICE;
        if (owner == null && a.isHostAccessible()) return Side.HOST;
        throw new IllegalArgumentException("copy on " + device.name() + ": the " + role + " " + a + " lives on "
                + owner + "; copy it to the host through its own device first");
    }
}
