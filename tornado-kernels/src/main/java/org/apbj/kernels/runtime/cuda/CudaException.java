package org.apbj.kernels.runtime.cuda;

/** A CUDA driver call failed; the message names the call, its arguments and the CUresult. */
public class CudaException extends RuntimeException {
    private final int result;

    public CudaException(String message, int result) {
        super(message);
        this.result = result;
    }

    /** The CUresult (e.g. 2 = CUDA_ERROR_OUT_OF_MEMORY, 700 = CUDA_ERROR_ILLEGAL_ADDRESS). */
    public int result() { return result; }
}
