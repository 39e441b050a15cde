package org.apbj.kernels.jit;

import java.util.Collection;

/**
 * What the compiler emits: PTX for an NVIDIA architecture, or OpenCL C. A PTX target is an
 * architecture ({@code sm_80}, {@code sm_90}) and, with the suffix {@code a}, the features that
 * exist only on that exact architecture ({@code sm_90a}: wgmma, setmaxnreg). Which PTX ISA
 * version a module declares follows from the target and the {@link Feature}s its kernel uses.
 */
public record Target(Kind kind, String arch) {
    public enum Kind { PTX, OPENCL }

    public static final Target SM_80 = new Target(Kind.PTX, "sm_80");
    public static final Target SM_90 = new Target(Kind.PTX, "sm_90");
    /** Hopper with its architecture-specific features (code runs only on compute capability 9.0). */
    public static final Target SM_90A = new Target(Kind.PTX, "sm_90a");
    public static final Target OPENCL = new Target(Kind.OPENCL, "opencl-c-1.2");

    public Target {
        if (kind == Kind.PTX && !arch.matches("sm_\\d{2,3}a?")) {
            throw new IllegalArgumentException("PTX target '" + arch + "' is not of the form sm_NN or sm_NNa");
        }
    }

    /** The plain architecture of a compute capability ({@code sm_86}); no architecture-specific features. */
    public static Target ptx(int major, int minor) { return new Target(Kind.PTX, "sm_" + major + minor); }

    /**
     * The target for a device of this compute capability: the architecture-specific variant
     * where one exists (9.0 → {@code sm_90a}), since the code is loaded on exactly that device.
     */
    public static Target forDevice(int major, int minor) {
        return major == 9 && minor == 0 ? SM_90A : ptx(major, minor);
    }

    /** The SM version as a number (80, 90); 0 for OpenCL. */
    public int smVersion() {
        return kind == Kind.PTX ? Integer.parseInt(arch.replaceAll("\\D", "")) : 0;
    }

    /** Whether the target has the architecture-specific features of its SM version ({@code sm_90a}). */
    public boolean archSpecific() { return kind == Kind.PTX && arch.endsWith("a"); }

    /** Whether PTX for this target may use the feature. */
    public boolean supports(Feature f) {
        return kind == Kind.PTX && smVersion() >= f.minSm && (!f.archSpecific || (archSpecific() && smVersion() == f.minSm));
    }

    /**
     * The PTX ISA version a module for this target declares: the lowest that knows the target
     * and every feature used (as major·10 + minor, 80 = 8.0).
     */
    public int ptxIsaVersion(Collection<Feature> used) {
        // 7.8 (CUDA 11.8) is the oldest ISA we emit: it knows sm_90 and every instruction of the
        // kernels that use no listed feature; architecture-specific targets arrived with 8.0.
        int v = kind == Kind.PTX ? (archSpecific() ? 80 : 78) : 0;
        for (Feature f : used) v = Math.max(v, f.minPtxIsa);
        return v;
    }

    @Override
    public String toString() { return kind == Kind.PTX ? arch : "opencl"; }
}
