/**
 * Device runtimes: one {@link org.apbj.kernels.runtime.Device} interface, three backends.
 *
 * <ul>
 *   <li>{@link org.apbj.kernels.runtime.cuda.CudaDevice}: the CUDA driver API (libcuda.so.1)
 *       through FFM: primary context made current on every call (any thread may use it), one
 *       non-blocking stream, PTX modules cached per {@code CompiledKernel.cacheKey}, pinned host
 *       memory ({@code allocPinned}), CUDA-event timing ({@code timeMillis}, and pooled events
 *       behind {@code mark()}), a count of the host's waits ({@code streamSynchronizations}).</li>
 *   <li>{@link org.apbj.kernels.runtime.opencl.OpenCLDevice}: OpenCL 1.2 host API
 *       (libOpenCL.so.1) through FFM; PoCL in CI.</li>
 *   <li>{@link org.apbj.kernels.runtime.java.JavaDevice}: runs the kernel methods themselves;
 *       the reference the other backends are compared with. {@code java:T:MEMORY} makes it a
 *       device of that size (for memory-planning tests).</li>
 * </ul>
 *
 * <p>Waiting: launches and {@link org.apbj.kernels.runtime.Device#enqueueCopy} take their place in
 * the device's in-order work and return; {@link org.apbj.kernels.runtime.Device#copy} and
 * {@code synchronize} wait. {@link org.apbj.kernels.runtime.Device#mark()} gives a
 * {@link org.apbj.kernels.runtime.Marker}: device time between marks, read later, without waiting
 * in between. {@link org.apbj.kernels.runtime.Device#preparationNanos()} is the time spent
 * compiling and loading kernels on the device.
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
