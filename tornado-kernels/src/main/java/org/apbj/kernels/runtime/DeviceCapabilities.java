package org.apbj.kernels.runtime;

/**
 * What a device's hardware offers the kernel library, so that it picks kernels by asking the
 * {@link Device} instead of looking at its class.
 *
 * @param computeCapability   NVIDIA compute capability as major·10 + minor (80 for A100, 90 for
 *                            H100/H200); 0 for devices that are not NVIDIA GPUs
 * @param tensorCores         bf16 warp-level mma in hardware (mma.sync m16n8k16: sm_80 and
 *                            later). Elsewhere {@code TensorCore} runs its Java meaning, correct
 *                            but slow
 * @param asyncCopy           cp.async in hardware (sm_80 and later); elsewhere {@code AsyncCopy}
 *                            copies at once, with the same results
 * @param sharedBytesPerGroup the most shared (local) memory one group may use, opted in where
 *                            the device needs that
 * @param maxThreadsPerGroup  the most work-items in one group
 * @param computeUnits        multiprocessors (CUDA), compute units (OpenCL), threads (Java)
 */
public record DeviceCapabilities(int computeCapability, boolean tensorCores, boolean asyncCopy, long sharedBytesPerGroup,
                                 int maxThreadsPerGroup, int computeUnits) {

    /** The first NVIDIA architecture with bf16 mma.sync and cp.async (Ampere). */
    public static final int AMPERE = 80;

    public DeviceCapabilities {
        if (computeCapability < 0 || sharedBytesPerGroup < 0 || maxThreadsPerGroup < 1 || computeUnits < 1) {
            throw new IllegalArgumentException("device capabilities out of range: " + computeCapability + ", "
                    + sharedBytesPerGroup + " shared bytes, " + maxThreadsPerGroup + " threads, " + computeUnits + " units");
        }
    }

    /** Hopper, whose architecture-specific PTX (sm_90a) has wgmma and setmaxnreg. */
    public static final int HOPPER = 90;

    /**
     * Warpgroup MMA (wgmma) in hardware: compute capability 9.0 exactly (its sm_90a code runs
     * nowhere else). Elsewhere {@code WarpGroup} runs its Java meaning on the Java and OpenCL
     * devices, and CUDA devices have no such kernels.
     */
    public boolean warpGroupMma() { return computeCapability == HOPPER; }

    /** An NVIDIA GPU of compute capability major.minor. */
    public static DeviceCapabilities cuda(int major, int minor, long sharedBytesPerGroup, int maxThreadsPerGroup,
                                          int multiprocessors) {
        int cc = 10 * major + minor;
        return new DeviceCapabilities(cc, cc >= AMPERE, cc >= AMPERE, sharedBytesPerGroup, maxThreadsPerGroup, multiprocessors);
    }

    /** A device without NVIDIA's instructions (OpenCL, Java): the intrinsics run their Java meaning. */
    public static DeviceCapabilities portable(long sharedBytesPerGroup, int maxThreadsPerGroup, int computeUnits) {
        return new DeviceCapabilities(0, false, false, sharedBytesPerGroup, maxThreadsPerGroup, computeUnits);
    }
}
