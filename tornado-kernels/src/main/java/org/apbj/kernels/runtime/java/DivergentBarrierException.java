package org.apbj.kernels.runtime.java;

/** Work-items of a group disagreed on the barriers or warp operations they reached. */
public final class DivergentBarrierException extends IllegalStateException {
    public DivergentBarrierException(String message) { super(message); }
}
