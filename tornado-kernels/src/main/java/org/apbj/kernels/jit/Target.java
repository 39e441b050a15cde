package org.apbj.kernels.jit;

/** What the compiler emits: PTX for an NVIDIA architecture, or OpenCL C. */
public record Target(Kind kind, String arch) {
    public enum Kind { PTX, OPENCL }

    public static final Target SM_80 = new Target(Kind.PTX, "sm_80");
    public static final Target SM_90 = new Target(Kind.PTX, "sm_90");
    public static final Target OPENCL = new Target(Kind.OPENCL, "opencl-c-1.2");

    public static Target ptx(int major, int minor) { return new Target(Kind.PTX, "sm_" + major + minor); }

    @Override
    public String toString() { return kind == Kind.PTX ? arch : "opencl"; }
}
