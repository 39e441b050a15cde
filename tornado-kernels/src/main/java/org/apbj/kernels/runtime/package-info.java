/**
 * Device runtimes: one {@link org.apbj.kernels.runtime.Device} interface, three backends.
 *
 * <ul>
 *   <li>{@link org.apbj.kernels.runtime.cuda.CudaDevice}: the CUDA driver API (libcuda.so.1)
 *       through FFM: primary context made current on every call (any thread may use it), one
 *       non-blocking stream, PTX modules cached per {@code CompiledKernel.cacheKey}, pinned host
 *       memory ({@code allocPinned}), CUDA-event timing ({@code timeMillis}).</li>
 *   <li>{@link org.apbj.kernels.runtime.opencl.OpenCLDevice}: OpenCL 1.2 host API
 *       (libOpenCL.so.1) through FFM; PoCL in CI.</li>
 *   <li>{@link org.apbj.kernels.runtime.java.JavaDevice}: runs the kernel methods themselves;
 *       the reference the other backends are compared with.</li>
 * </ul>
 *
 * <p>Open one with {@link org.apbj.kernels.runtime.Devices}: {@code Devices.best()} (or
 * {@code -Dapbj.device=SPEC}), or a spec: {@code cuda}, {@code cuda:1}, {@code opencl},
 * {@code opencl:pocl}, {@code opencl:1:0}, {@code java}, {@code java:8}.
 *
 * <p>Contract details the compiler relies on: {@code CompiledKernel.Param.javaIndex} counts the
 * Java method's parameters with the KernelContext at 0; array parameters receive the buffer's
 * {@code address()} (CUdeviceptr or cl_mem); booleans travel as one byte (PTX {@code .u8},
 * OpenCL C {@code uchar}); PTX kernels that declare {@code .extern .shared} receive
 * {@code sharedBytes} of dynamic shared memory at launch (opted in past 48 KiB), static
 * {@code .shared} needs nothing.
 */
package org.apbj.kernels.runtime;
