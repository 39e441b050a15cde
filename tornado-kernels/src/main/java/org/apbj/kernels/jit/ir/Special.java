package org.apbj.kernels.jit.ir;

/** Work-item coordinates and launch sizes (KernelContext fields and id methods). */
public enum Special {
    GLOBAL_ID_X, GLOBAL_ID_Y, GLOBAL_ID_Z,
    LOCAL_ID_X, LOCAL_ID_Y, LOCAL_ID_Z,
    GROUP_ID_X, GROUP_ID_Y, GROUP_ID_Z,
    GLOBAL_SIZE_X, GLOBAL_SIZE_Y, GLOBAL_SIZE_Z,
    LOCAL_SIZE_X, LOCAL_SIZE_Y, LOCAL_SIZE_Z,
    /** x fastest: localIdx + localSizeX * (localIdy + localSizeY * localIdz). */
    LOCAL_LINEAR_ID,
    /** localLinearId % 32. */
    LANE_ID,
    /** localLinearId / 32. */
    WARP_ID;

    /** 0, 1, 2 for X, Y, Z; -1 for the linear ids. */
    public int dim() {
        return ordinal() < LOCAL_LINEAR_ID.ordinal() ? ordinal() % 3 : -1;
    }
}
