package org.apbj.kernels.jit;

/**
 * Hardware features that kernels reach through intrinsics, with the first architecture that
 * has each and the PTX ISA version (major·10 + minor) that introduced its instructions. A kernel
 * using a feature its target lacks is a compile error naming the feature and the targets that
 * have it.
 */
public enum Feature {
    /** mma.sync m16n8k16 with bf16 inputs. */
    MMA_BF16(80, false, 70),
    /** ldmatrix (and .trans). */
    LDMATRIX(75, false, 65),
    /** cp.async global→shared with commit/wait groups. */
    CP_ASYNC(80, false, 70),
    /** fence.proxy.async: generic-proxy writes to shared memory become visible to wgmma and TMA. */
    ASYNC_PROXY_FENCE(90, false, 80),
    /** bar.sync / bar.arrive on barriers 1..15 with a thread count: barriers among some warps of a group. */
    NAMED_BARRIER(70, false, 60),
    /** mbarrier with try_wait.parity, and cp.async arriving on it. */
    MBARRIER(90, false, 78),
    /** mbarrier transaction counts: arrive.expect_tx (and the bulk copies that complete_tx). */
    MBARRIER_TX(90, false, 80),
    /** cp.async.bulk.tensor (TMA): box copies described by a tensor map, completing on an mbarrier. */
    BULK_TENSOR(90, false, 80),
    /** wgmma.mma_async: warpgroup matrix products from shared-memory descriptors. */
    WGMMA(90, true, 80),
    /** setmaxnreg: moving registers between warpgroups. */
    SETMAXNREG(90, true, 80);

    final int minSm;
    final boolean archSpecific;
    final int minPtxIsa;

    Feature(int minSm, boolean archSpecific, int minPtxIsa) {
        this.minSm = minSm;
        this.archSpecific = archSpecific;
        this.minPtxIsa = minPtxIsa;
    }

    /** The targets that have it, for error messages: "sm_90a", "sm_80 and later". */
    public String requirement() {
        return archSpecific ? "sm_" + minSm + "a" : "sm_" + minSm + " or later";
    }
}
