package org.apbj.parallel.rank;

import java.util.Arrays;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.Devices;

/**
 * Which device a rank opens: rank r uses GPU r mod (#GPUs), or the GPU the map assigns it
 * ({@code --gpu-map=2,3} / {@code -Dapbj.gpu.map}: rank r uses map[r mod length]); with no GPU,
 * "auto" falls back to {@link Devices#best()} (OpenCL, else the Java device).
 */
public final class DeviceChoice {
    private DeviceChoice() {}

    /** The device spec for rank {@code rank}: what {@link Devices#open(String)} takes. */
    public static String spec(String requested, int rank, String gpuMap, int gpuCount) {
        String s = requested == null ? "auto" : requested.strip();
        boolean gpu = s.equals("cuda") || (s.equals("auto") && gpuCount > 0);
        if (!gpu) return s;
        if (gpuCount == 0) throw new IllegalArgumentException("--device=cuda but no CUDA device is visible: use --device=auto, opencl or java");
        int gpuIndex;
        if (gpuMap != null && !gpuMap.isBlank()) {
            int[] map;
            try {
                map = Arrays.stream(gpuMap.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("GPU map '" + gpuMap + "' must be comma-separated GPU indices, e.g. 0,1,2,3", e);
            }
            gpuIndex = map[rank % map.length];
            if (gpuIndex < 0 || gpuIndex >= gpuCount) {
                throw new IllegalArgumentException("GPU map '" + gpuMap + "' gives rank " + rank + " GPU " + gpuIndex + ", but "
                        + gpuCount + " GPUs are visible");
            }
        } else {
            gpuIndex = rank % gpuCount;
        }
        return "cuda:" + gpuIndex;
    }

    /**
     * Checks, without opening anything, that every one of {@code ranks} ranks would find its
     * device: the spec is well formed, its backend is here and its index in range.
     */
    public static void check(String requested, int ranks, String gpuMap) {
        String s = requested == null ? "auto" : requested.strip();
        int gpus = s.equals("auto") || s.equals("cuda") ? Devices.cudaDeviceCount() : 0;
        java.util.Set<String> specs = new java.util.LinkedHashSet<>();
        for (int r = 0; r < ranks; r++) specs.add(spec(s, r, gpuMap, gpus));
        for (String spec : specs) Devices.check(spec);
    }

    /** Opens the device for {@code rank} (the OpenCL runtime serialises PoCL's own setup). */
    public static Device open(String requested, int rank, String gpuMap) {
        String s = requested == null ? "auto" : requested.strip();
        int gpus = s.equals("auto") || s.equals("cuda") ? Devices.cudaDeviceCount() : 0;
        String spec = spec(s, rank, gpuMap, gpus);
        return spec.equals("auto") ? Devices.best() : Devices.open(spec);
    }
}
