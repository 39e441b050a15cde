package org.apbj.kernels.runtime;

/**
 * A launch was rejected before it ran (wrong arguments, unsuitable grid) or a kernel failed
 * while running; the message names the kernel and the problem.
 */
public class KernelLaunchException extends RuntimeException {
    public KernelLaunchException(String message) { super(message); }
    public KernelLaunchException(String message, Throwable cause) { super(message, cause); }
}
