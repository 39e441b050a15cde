package org.apbj.kernels.runtime.opencl;

/** An OpenCL call failed; the message names the call, its arguments and the error code. */
public class OpenCLException extends RuntimeException {
    private final int code;

    public OpenCLException(String message, int code) {
        super(message);
        this.code = code;
    }

    /** The cl_int error code (e.g. -11 for CL_BUILD_PROGRAM_FAILURE), or 0 when none applies. */
    public int code() { return code; }
}
