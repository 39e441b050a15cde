package org.apbj.kernels.runtime;

import java.util.Locale;

import org.apbj.kernels.runtime.cuda.CudaDevice;
import org.apbj.kernels.runtime.cuda.CudaDriver;
import org.apbj.kernels.runtime.java.JavaDevice;
import org.apbj.kernels.runtime.opencl.OpenCL;
import org.apbj.kernels.runtime.opencl.OpenCLDevice;

/**
 * Opens devices by backend or by a spec string:
 * <ul>
 *   <li>{@code cuda}, {@code cuda:N} — CUDA device N (default 0);</li>
 *   <li>{@code opencl}, {@code opencl:P}, {@code opencl:P:D} — OpenCL platform P (an index or
 *       a name/vendor substring such as {@code pocl} or {@code nvidia}), device D;</li>
 *   <li>{@code java}, {@code java:T} — the plain-Java device with T threads (default: cores).</li>
 * </ul>
 */
public final class Devices {
    /** System property (or, upper-cased with '_', environment variable) that overrides {@link #best()}. */
    public static final String DEVICE_PROPERTY = "apbj.device";

    private Devices() {}

    public static Device open(Backend backend) {
        return switch (backend) {
            case CUDA -> CudaDevice.open(0);
            case OPENCL -> OpenCLDevice.open(null);
            case JAVA -> new JavaDevice();
        };
    }

    public static Device open(String spec) {
        if (spec == null || spec.isBlank()) throw new IllegalArgumentException("empty device spec; use cuda[:N], opencl[:P[:D]] or java[:T[:MEMORY]]");
        String s = spec.strip();
        int colon = s.indexOf(':');
        String kind = (colon < 0 ? s : s.substring(0, colon)).toLowerCase(Locale.ROOT);
        String rest = colon < 0 ? null : s.substring(colon + 1);
        return switch (kind) {
            case "cuda" -> CudaDevice.open(rest == null ? 0 : index(spec, rest));
            case "opencl" -> OpenCLDevice.open(rest);
            case "java" -> java(spec, rest);
            default -> throw new IllegalArgumentException("unknown device spec '" + spec
                    + "': use cuda[:N], opencl[:PLATFORM[:DEVICE]] or java[:THREADS[:MEMORY]]");
        };
    }

    /**
     * Checks that {@code spec} names a device that exists here, without opening it (no context,
     * no queue, no threads), and returns it in words. "auto" is always valid. Same rules and
     * errors as {@link #open(String)}: {@link IllegalArgumentException} for a malformed spec or
     * an index out of range, {@link DeviceUnavailableException} when the backend is missing.
     */
    public static String check(String spec) {
        if (spec == null || spec.isBlank()) throw new IllegalArgumentException("empty device spec; use cuda[:N], opencl[:P[:D]] or java[:T[:MEMORY]]");
        String s = spec.strip();
        if (s.equals("auto")) return "auto";
        int colon = s.indexOf(':');
        String kind = (colon < 0 ? s : s.substring(0, colon)).toLowerCase(Locale.ROOT);
        String rest = colon < 0 ? null : s.substring(colon + 1);
        return switch (kind) {
            case "cuda" -> {
                int ordinal = rest == null ? 0 : index(spec, rest);
                CudaDevice.check(ordinal);
                yield "cuda:" + ordinal;
            }
            case "opencl" -> OpenCLDevice.check(rest);
            case "java" -> {
                int memColon = rest == null ? -1 : rest.indexOf(':');
                int threads = rest == null ? Runtime.getRuntime().availableProcessors()
                        : index(spec, memColon < 0 ? rest : rest.substring(0, memColon));
                if (threads < 1) {
                    throw new IllegalArgumentException("the Java device needs at least 1 thread (java:THREADS), got " + threads);
                }
                if (memColon >= 0) {
                    long capacity = bytes(spec, rest.substring(memColon + 1));
                    yield "java (" + threads + " threads, " + DeviceMemoryException.bytes(capacity) + ")";
                }
                yield "java (" + threads + " threads)";
            }
            default -> throw new IllegalArgumentException("unknown device spec '" + spec
                    + "': use auto, cuda[:N], opencl[:PLATFORM[:DEVICE]] or java[:THREADS[:MEMORY]]");
        };
    }

    /** java, java:THREADS, java:THREADS:MEMORY (bytes, or with k/m/g: a device of that size, for tests). */
    private static Device java(String spec, String rest) {
        if (rest == null) return new JavaDevice();
        int colon = rest.indexOf(':');
        int threads = index(spec, colon < 0 ? rest : rest.substring(0, colon));
        long capacity = colon < 0 ? 0 : bytes(spec, rest.substring(colon + 1));
        return new JavaDevice(threads, JavaDevice.DEFAULT_BARRIER_TIMEOUT, capacity);
    }

    private static long bytes(String spec, String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        long unit = 1;
        if (t.endsWith("k")) unit = 1L << 10;
        else if (t.endsWith("m")) unit = 1L << 20;
        else if (t.endsWith("g")) unit = 1L << 30;
        if (unit > 1) t = t.substring(0, t.length() - 1);
        try {
            long v = Long.parseLong(t) * unit;
            if (v <= 0) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("device spec '" + spec + "': memory '" + text + "' is not a size like 512m or 2g");
        }
    }

    private static int index(String spec, String text) {
        try {
            return Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("device spec '" + spec + "': '" + text + "' is not a number");
        }
    }

    /**
     * The fastest device here: the spec in {@code -Dapbj.device} or {@code APBJ_DEVICE} if set;
     * else CUDA device 0 if a GPU is present, else an OpenCL device, else the Java device.
     */
    public static Device best() {
        String spec = System.getProperty(DEVICE_PROPERTY);
        if (spec == null || spec.isBlank()) spec = System.getenv("APBJ_DEVICE");
        if (spec != null && !spec.isBlank()) return open(spec);
        if (cudaDeviceCount() > 0) return CudaDevice.open(0);
        if (OpenCL.libraryPresent()) {
            try {
                return OpenCLDevice.open(null);
            } catch (DeviceUnavailableException noPlatform) {
                // the loader is there but no driver: the Java device below
            }
        }
        return new JavaDevice();
    }

    /** CUDA devices visible through libcuda.so.1; 0 when the driver is absent or fails to initialise. */
    public static int cudaDeviceCount() { return CudaDriver.deviceCountOrZero(); }
}
