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
        if (spec == null || spec.isBlank()) throw new IllegalArgumentException("empty device spec; use cuda[:N], opencl[:P[:D]] or java[:T]");
        String s = spec.strip();
        int colon = s.indexOf(':');
        String kind = (colon < 0 ? s : s.substring(0, colon)).toLowerCase(Locale.ROOT);
        String rest = colon < 0 ? null : s.substring(colon + 1);
        return switch (kind) {
            case "cuda" -> CudaDevice.open(rest == null ? 0 : index(spec, rest));
            case "opencl" -> OpenCLDevice.open(rest);
            case "java" -> rest == null ? new JavaDevice() : new JavaDevice(index(spec, rest), JavaDevice.DEFAULT_BARRIER_TIMEOUT);
            default -> throw new IllegalArgumentException("unknown device spec '" + spec
                    + "': use cuda[:N], opencl[:PLATFORM[:DEVICE]] or java[:THREADS]");
        };
    }

    /**
     * Checks that {@code spec} names a device that exists here, without opening it (no context,
     * no queue, no threads), and returns it in words. "auto" is always valid. Same rules and
     * errors as {@link #open(String)}: {@link IllegalArgumentException} for a malformed spec or
     * an index out of range, {@link DeviceUnavailableException} when the backend is missing.
     */
    public static String check(String spec) {
        if (spec == null || spec.isBlank()) throw new IllegalArgumentException("empty device spec; use cuda[:N], opencl[:P[:D]] or java[:T]");
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
                int threads = rest == null ? Runtime.getRuntime().availableProcessors() : index(spec, rest);
                if (threads < 1) {
                    throw new IllegalArgumentException("the Java device needs at least 1 thread (java:THREADS), got " + threads);
                }
                yield "java (" + threads + " threads)";
            }
            default -> throw new IllegalArgumentException("unknown device spec '" + spec
                    + "': use auto, cuda[:N], opencl[:PLATFORM[:DEVICE]] or java[:THREADS]");
        };
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
