package org.apbj.kernels.runtime;

/** The three ways a kernel runs. */
public enum Backend {
    /** NVIDIA GPUs: PTX through the CUDA driver API. */
    CUDA,
    /** Any OpenCL device: OpenCL C (PoCL on CPUs in CI, NVIDIA's OpenCL on GPUs). */
    OPENCL,
    /** The kernel method itself on CPU threads: the reference. */
    JAVA
}
