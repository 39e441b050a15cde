/**
 * The kernel compiler: Java kernel methods to PTX and OpenCL C.
 *
 * <h2>Pipeline</h2>
 * {@link org.apbj.kernels.jit.KernelCompiler} reads the kernel's class file with
 * {@code java.lang.classfile} and lifts it ({@code front.Lifter}) to a control-flow graph over
 * typed virtual registers ({@code ir}): one register per (local slot, type) and per (stack depth,
 * type), so values merging at joins (ternaries) need no phis. The bytecode is interpreted over
 * abstract values to a fixed point first (types, known constants including {@code @Constant}
 * launch values and static finals, which array each reference is); branches on constants are
 * pruned, and static callees are inlined as copies analysed with their actual arguments. A
 * second pass over the same interpreter emits the IR. {@code ptx.PtxEmitter} and
 * {@code opencl.OpenClEmitter} print it. Results are cached by {@link org.apbj.kernels.jit.KernelCache}.
 *
 * <h2>Semantics where a GPU differs from Java</h2>
 * <ul>
 *   <li>Integer {@code x / 0} and {@code x % 0} give 0 (Java throws; a GPU cannot).
 *       {@code MIN_VALUE / -1 == MIN_VALUE} and {@code MIN_VALUE % -1 == 0} as in Java.</li>
 *   <li>Array indices are not bounds-checked; device-array {@code size()/length()} are not
 *       available in kernels (pass lengths as parameters).</li>
 *   <li>New private arrays are zeroed as in Java; shared arrays are not initialised.</li>
 *   <li>Warp operations (shuffles, warp reductions) and barriers must be reached by every
 *       work-item of the group. A warp is 32 consecutive local linear ids (x fastest). In
 *       OpenCL they are emulated through a hidden {@code __local} buffer with barriers, for
 *       groups of at most 1024 work-items. Shuffle lane/mask arguments are taken mod 32.</li>
 *   <li>{@code globalBarrier()} is a group barrier (no grid-wide barrier exists inside a kernel).</li>
 *   <li>Float exp/log/tanh/pow are accurate to a few ulp, not correctly rounded (PTX: own
 *       sequences on ex2.approx; OpenCL: the builtins). sqrt, division, fma, floor, ceil, abs,
 *       min/max (NaN, -0.0), rsqrt ({@code (float) (1 / Math.sqrt(x))}) and all conversions are
 *       exact. OpenCL programs need {@code -cl-fp32-correctly-rounded-divide-sqrt} for exact
 *       division and sqrt.</li>
 *   <li>Float and double remainders are exact (fmod) on every target. Double exp/log/tanh/pow
 *       are rejected for PTX (accepted for OpenCL).</li>
 *   <li>Arithmetic on a NaN gives a NaN, but which one differs: GPUs return the canonical NaN,
 *       x86 (and so the Java device) the operand's payload. Conversions and bit reads keep
 *       the payload of the NaN they are given.</li>
 *   <li>Half-precision NaN conversions follow the hardware (x86 F16C as used by Java's JIT,
 *       GPUs): quiet NaN, payload top bits kept.</li>
 * </ul>
 */
package org.apbj.kernels.jit;
