package org.apbj.kernels.runtime.java;

import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.api.WorkGroup;

/**
 * The work-group of kernels whose bytecode scan found no cooperation: work-items run one after
 * another, so any cooperative call here means the scan missed it (a bug worth a clear report).
 */
final class IndependentWorkItems implements WorkGroup {
    private final String kernelName;

    IndependentWorkItems(String kernelName) { this.kernelName = kernelName; }

    private IllegalStateException missed(String what) {
        return new IllegalStateException("kernel " + kernelName + " called " + what + " but the scan of its bytecode"
                + " (KernelFeatures) did not find that call, so its work-items were not started as cooperating threads;"
                + " call KernelContext methods directly from the kernel or from static methods taking the KernelContext");
    }

    @Override public void barrier(KernelContext ctx) { throw missed("a barrier"); }
    @Override public void namedBarrier(KernelContext ctx, int id, int threads, boolean waits) { throw missed("a named barrier"); }
    @Override public float[] localFloats(int slot, int length) { throw missed("a shared-array allocation"); }
    @Override public int[] localInts(int slot, int length) { throw missed("a shared-array allocation"); }
    @Override public short[] localShorts(int slot, int length) { throw missed("a shared-array allocation"); }
    @Override public long[] localLongs(int slot, int length) { throw missed("a shared-array allocation"); }
    @Override public float shuffle(KernelContext ctx, float value, int srcLane) { throw missed("a warp shuffle"); }
    @Override public int shuffle(KernelContext ctx, int value, int srcLane) { throw missed("a warp shuffle"); }
}
