package org.apbj.kernels.runtime;

import java.util.Arrays;

/**
 * Launch geometry in up to three dimensions: global sizes count work-items (as in OpenCL and
 * TornadoVM), local sizes count work-items per group; each global size must be a multiple of
 * its local size.
 */
public record Grid(int[] global, int[] local) {
    public Grid {
        if (global.length < 1 || global.length > 3 || local.length != global.length) {
            throw new IllegalArgumentException("grid needs 1 to 3 dimensions with matching local sizes, got global="
                    + Arrays.toString(global) + " local=" + Arrays.toString(local));
        }
        for (int d = 0; d < global.length; d++) {
            if (global[d] <= 0 || local[d] <= 0 || global[d] % local[d] != 0) {
                throw new IllegalArgumentException("grid dimension " + d + ": global size " + global[d]
                        + " must be a positive multiple of local size " + local[d]);
            }
        }
        global = global.clone();
        local = local.clone();
    }

    public static Grid of(int globalX, int localX) { return new Grid(new int[] {globalX}, new int[] {localX}); }

    public static Grid of(int globalX, int globalY, int localX, int localY) {
        return new Grid(new int[] {globalX, globalY}, new int[] {localX, localY});
    }

    public static Grid of(int globalX, int globalY, int globalZ, int localX, int localY, int localZ) {
        return new Grid(new int[] {globalX, globalY, globalZ}, new int[] {localX, localY, localZ});
    }

    /** Groups of {@code localX} work-items, {@code groups} of them. */
    public static Grid groups(int groups, int localX) { return of(groups * localX, localX); }

    public int dims() { return global.length; }
    public int globalSize(int d) { return d < global.length ? global[d] : 1; }
    public int localSize(int d) { return d < local.length ? local[d] : 1; }
    public int groupCount(int d) { return globalSize(d) / localSize(d); }
    public int workItemsPerGroup() { return localSize(0) * localSize(1) * localSize(2); }

    @Override
    public String toString() { return "Grid" + Arrays.toString(global) + "/" + Arrays.toString(local); }
}
