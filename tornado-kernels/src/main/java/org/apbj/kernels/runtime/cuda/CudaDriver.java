package org.apbj.kernels.runtime.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import java.util.stream.Collectors;

import org.apbj.kernels.runtime.DeviceUnavailableException;
import org.apbj.kernels.runtime.NativeLibrary;

/**
 * The CUDA driver API from libcuda.so.1 through FFM downcalls (the {@code _v2} entry points
 * where they exist). Only the driver is needed at run time, no toolkit. Each wrapper checks its
 * CUresult and throws {@link CudaException} with cuGetErrorName/cuGetErrorString, the call and
 * its arguments.
 */
public final class CudaDriver {
    public static final String LIBRARY = "libcuda.so.1";

    // CUdevice_attribute
    static final int ATTR_MAX_THREADS_PER_BLOCK = 1, ATTR_MAX_SHARED_PER_BLOCK = 8, ATTR_WARP_SIZE = 10,
            ATTR_MULTIPROCESSOR_COUNT = 16, ATTR_CC_MAJOR = 75, ATTR_CC_MINOR = 76, ATTR_MAX_SHARED_PER_BLOCK_OPTIN = 97;
    // CUjit_option
    static final int JIT_WALL_TIME = 2, JIT_INFO_LOG_BUFFER = 3, JIT_INFO_LOG_BUFFER_SIZE = 4,
            JIT_ERROR_LOG_BUFFER = 5, JIT_ERROR_LOG_BUFFER_SIZE = 6, JIT_LOG_VERBOSE = 12;
    // CUfunction_attribute
    static final int FUNC_ATTR_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;
    static final int STREAM_NON_BLOCKING = 1;
    static final int EVENT_DEFAULT = 0;
    static final int MEMHOSTALLOC_PORTABLE = 1;
    static final int CUDA_ERROR_OUT_OF_MEMORY = 2;

    private static final Object LOCK = new Object();
    private static volatile CudaDriver instance;
    private static volatile RuntimeException unavailable;

    final MethodHandle init, driverGetVersion, deviceGetCount, deviceGet, deviceGetName, deviceGetAttribute,
            deviceTotalMem, primaryCtxRetain, primaryCtxRelease, ctxSetCurrent, streamCreate, streamSynchronize,
            streamDestroy, eventCreate, eventRecord, eventSynchronize, eventElapsedTime, eventDestroy, memAlloc, memFree,
            memHostAlloc, memFreeHost, memcpyHtoDAsync, memcpyDtoHAsync,
            memcpyDtoDAsync, memsetD8Async, memGetInfo, moduleLoadDataEx, moduleGetFunction, moduleUnload,
            funcSetAttribute, launchKernel, getErrorName, getErrorString;
    /** Stream priorities: the context's range, a stream created at a priority, a stream's priority. */
    final MethodHandle ctxGetStreamPriorityRange, streamCreateWithPriority, streamGetPriority;
    /** cuStreamWaitEvent: later work of a stream waits for an event (of any stream, context or, opened through IPC, process). */
    final MethodHandle streamWaitEvent;
    /** Stream capture and graphs (CUDA 11.4+ drivers); null where the driver lacks them. */
    final MethodHandle streamBeginCapture, streamEndCapture, graphInstantiate, graphLaunch, graphExecDestroy, graphDestroy;
    /** cuTensorMapEncodeTiled (CUDA 12+ drivers); null where the driver lacks it. */
    final MethodHandle tensorMapEncodeTiled;
    // CUstreamCaptureMode
    static final int CAPTURE_MODE_THREAD_LOCAL = 1;

    private CudaDriver(NativeLibrary lib) {
        var P = ADDRESS;
        var I = JAVA_INT;
        var L = JAVA_LONG;
        init = lib.function("cuInit", FunctionDescriptor.of(I, I));
        driverGetVersion = lib.function("cuDriverGetVersion", FunctionDescriptor.of(I, P));
        deviceGetCount = lib.function("cuDeviceGetCount", FunctionDescriptor.of(I, P));
        deviceGet = lib.function("cuDeviceGet", FunctionDescriptor.of(I, P, I));
        deviceGetName = lib.function("cuDeviceGetName", FunctionDescriptor.of(I, P, I, I));
        deviceGetAttribute = lib.function("cuDeviceGetAttribute", FunctionDescriptor.of(I, P, I, I));
        deviceTotalMem = lib.function("cuDeviceTotalMem_v2", FunctionDescriptor.of(I, P, I));
        primaryCtxRetain = lib.function("cuDevicePrimaryCtxRetain", FunctionDescriptor.of(I, P, I));
        primaryCtxRelease = lib.function("cuDevicePrimaryCtxRelease_v2", FunctionDescriptor.of(I, I));
        ctxSetCurrent = lib.function("cuCtxSetCurrent", FunctionDescriptor.of(I, P));
        streamCreate = lib.function("cuStreamCreate", FunctionDescriptor.of(I, P, I));
        streamSynchronize = lib.function("cuStreamSynchronize", FunctionDescriptor.of(I, P));
        streamDestroy = lib.function("cuStreamDestroy_v2", FunctionDescriptor.of(I, P));
        ctxGetStreamPriorityRange = lib.function("cuCtxGetStreamPriorityRange", FunctionDescriptor.of(I, P, P));
        streamCreateWithPriority = lib.function("cuStreamCreateWithPriority", FunctionDescriptor.of(I, P, I, I));
        streamGetPriority = lib.function("cuStreamGetPriority", FunctionDescriptor.of(I, P, P));
        streamWaitEvent = lib.function("cuStreamWaitEvent", FunctionDescriptor.of(I, P, P, I));
        eventCreate = lib.function("cuEventCreate", FunctionDescriptor.of(I, P, I));
        eventRecord = lib.function("cuEventRecord", FunctionDescriptor.of(I, P, P));
        eventSynchronize = lib.function("cuEventSynchronize", FunctionDescriptor.of(I, P));
        // CUDA 13's header maps cuEventElapsedTime to _v2 (same signature); older drivers lack it
        eventElapsedTime = lib.function(lib.has("cuEventElapsedTime_v2") ? "cuEventElapsedTime_v2" : "cuEventElapsedTime",
                FunctionDescriptor.of(I, P, P, P));
        eventDestroy = lib.function("cuEventDestroy_v2", FunctionDescriptor.of(I, P));
        memAlloc = lib.function("cuMemAlloc_v2", FunctionDescriptor.of(I, P, L));
        memFree = lib.function("cuMemFree_v2", FunctionDescriptor.of(I, L));
        memHostAlloc = lib.function("cuMemHostAlloc", FunctionDescriptor.of(I, P, L, I));
        memFreeHost = lib.function("cuMemFreeHost", FunctionDescriptor.of(I, P));
        memcpyHtoDAsync = lib.function("cuMemcpyHtoDAsync_v2", FunctionDescriptor.of(I, L, P, L, P));
        memcpyDtoHAsync = lib.function("cuMemcpyDtoHAsync_v2", FunctionDescriptor.of(I, P, L, L, P));
        memcpyDtoDAsync = lib.function("cuMemcpyDtoDAsync_v2", FunctionDescriptor.of(I, L, L, L, P));
        memsetD8Async = lib.function("cuMemsetD8Async", FunctionDescriptor.of(I, L, java.lang.foreign.ValueLayout.JAVA_BYTE, L, P));
        memGetInfo = lib.function("cuMemGetInfo_v2", FunctionDescriptor.of(I, P, P));
        moduleLoadDataEx = lib.function("cuModuleLoadDataEx", FunctionDescriptor.of(I, P, P, I, P, P));
        moduleGetFunction = lib.function("cuModuleGetFunction", FunctionDescriptor.of(I, P, P, P));
        moduleUnload = lib.function("cuModuleUnload", FunctionDescriptor.of(I, P));
        funcSetAttribute = lib.function("cuFuncSetAttribute", FunctionDescriptor.of(I, P, I, I));
        launchKernel = lib.function("cuLaunchKernel", FunctionDescriptor.of(I, P, I, I, I, I, I, I, I, P, P, P));
        getErrorName = lib.function("cuGetErrorName", FunctionDescriptor.of(I, I, P));
        getErrorString = lib.function("cuGetErrorString", FunctionDescriptor.of(I, I, P));
        boolean graphs = lib.has("cuStreamBeginCapture_v2") && lib.has("cuGraphInstantiateWithFlags");
        streamBeginCapture = graphs ? lib.function("cuStreamBeginCapture_v2", FunctionDescriptor.of(I, P, I)) : null;
        streamEndCapture = graphs ? lib.function("cuStreamEndCapture", FunctionDescriptor.of(I, P, P)) : null;
        graphInstantiate = graphs ? lib.function("cuGraphInstantiateWithFlags", FunctionDescriptor.of(I, P, P, L)) : null;
        graphLaunch = graphs ? lib.function("cuGraphLaunch", FunctionDescriptor.of(I, P, P)) : null;
        graphExecDestroy = graphs ? lib.function("cuGraphExecDestroy", FunctionDescriptor.of(I, P)) : null;
        graphDestroy = graphs ? lib.function("cuGraphDestroy", FunctionDescriptor.of(I, P)) : null;
        // (map, data type, rank, global address, dims, strides, box, element strides, interleave, swizzle, L2 promotion, fill)
        tensorMapEncodeTiled = lib.has("cuTensorMapEncodeTiled")
                ? lib.function("cuTensorMapEncodeTiled", FunctionDescriptor.of(I, P, I, I, L, P, P, P, P, I, I, I, I)) : null;
    }

    /** Whether this driver has stream capture and graph launches. */
    boolean hasGraphs() { return streamBeginCapture != null; }

    /** The initialised driver, or a {@link DeviceUnavailableException} saying what is missing. */
    public static CudaDriver get() {
        CudaDriver d = instance;
        if (d != null) return d;
        synchronized (LOCK) {
            if (instance != null) return instance;
            if (unavailable != null) throw new DeviceUnavailableException(unavailable.getMessage(), unavailable);
            var lib = NativeLibrary.open(LIBRARY);
            if (lib.isEmpty()) {
                unavailable = new DeviceUnavailableException("CUDA unavailable: the dynamic loader cannot find " + LIBRARY
                        + " (the NVIDIA driver's CUDA library). Install the NVIDIA driver (it ships libcuda.so.1; no CUDA"
                        + " toolkit is needed), or in a container start it with the GPU exposed (e.g. --gpus all)");
                throw unavailable;
            }
            CudaDriver driver;
            try {
                driver = new CudaDriver(lib.get());
                driver.check(driver.invoke(driver.init, 0), "cuInit", 0);
            } catch (RuntimeException e) {
                unavailable = new DeviceUnavailableException("CUDA unavailable: " + LIBRARY + " loaded but cuInit failed: "
                        + e.getMessage() + " (is an NVIDIA GPU present and the driver's kernel module loaded?)", e);
                throw unavailable;
            }
            instance = driver;
            return driver;
        }
    }

    /** CUDA devices here; 0 when libcuda.so.1 is missing or cuInit fails (no GPU). */
    public static int deviceCountOrZero() {
        try {
            return get().deviceCount();
        } catch (RuntimeException e) {
            return 0;
        }
    }

    // --- calling -------------------------------------------------------------------------------

    int invoke(MethodHandle fn, Object... args) {
        try {
            return (int) fn.invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("native call failed: " + t, t);
        }
    }

    /** Throws a {@link CudaException} describing {@code call(args)} unless {@code result} is CUDA_SUCCESS. */
    void check(int result, String call, Object... args) {
        if (result != 0) throw error(result, call, args);
    }

    CudaException error(int result, String call, Object... args) {
        String shown = Arrays.stream(args).map(CudaDriver::show).collect(Collectors.joining(", "));
        return new CudaException(call + "(" + shown + ") failed: " + errorName(result) + " (" + result + "): "
                + errorString(result), result);
    }

    private static String show(Object a) {
        if (a instanceof MemorySegment s) return s.address() == 0 ? "NULL" : "0x" + Long.toHexString(s.address());
        if (a instanceof Long l) return "0x" + Long.toHexString(l);
        return String.valueOf(a);
    }

    String errorName(int result) { return errorText(getErrorName, result, "CUDA_ERROR_" + result); }

    String errorString(int result) { return errorText(getErrorString, result, "unknown error"); }

    private String errorText(MethodHandle fn, int result, String fallback) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            int r = (int) fn.invokeExact(result, p);
            MemorySegment s = p.get(ADDRESS, 0);
            if (r != 0 || s.address() == 0) return fallback;
            return s.reinterpret(4096).getString(0);
        } catch (Throwable t) {
            return fallback;
        }
    }

    // --- device queries ------------------------------------------------------------------------

    public int deviceCount() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            check(invoke(deviceGetCount, n), "cuDeviceGetCount", "&count");
            return n.get(JAVA_INT, 0);
        }
    }

    public int driverVersion() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            check(invoke(driverGetVersion, n), "cuDriverGetVersion", "&version");
            return n.get(JAVA_INT, 0);
        }
    }

    int device(int ordinal) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment d = a.allocate(JAVA_INT);
            check(invoke(deviceGet, d, ordinal), "cuDeviceGet", "&device", ordinal);
            return d.get(JAVA_INT, 0);
        }
    }

    String deviceName(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(256);
            check(invoke(deviceGetName, buf, 256, device), "cuDeviceGetName", "buf", 256, device);
            return buf.getString(0);
        }
    }

    int attribute(int device, int attribute) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check(invoke(deviceGetAttribute, v, attribute, device), "cuDeviceGetAttribute", "&value", attribute, device);
            return v.get(JAVA_INT, 0);
        }
    }

    long totalMemory(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_LONG);
            check(invoke(deviceTotalMem, v, device), "cuDeviceTotalMem_v2", "&bytes", device);
            return v.get(JAVA_LONG, 0);
        }
    }

    /** {free, total} bytes of the current context's device. */
    long[] memInfo() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment free = a.allocate(JAVA_LONG), total = a.allocate(JAVA_LONG);
            check(invoke(memGetInfo, free, total), "cuMemGetInfo_v2", "&free", "&total");
            return new long[] {free.get(JAVA_LONG, 0), total.get(JAVA_LONG, 0)};
        }
    }

    /** Milliseconds between two recorded events (the end event must have completed). */
    float elapsedMillis(MemorySegment start, MemorySegment end) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ms = a.allocate(JAVA_FLOAT);
            check(invoke(eventElapsedTime, ms, start, end), "cuEventElapsedTime", "&ms", start, end);
            return ms.get(JAVA_FLOAT, 0);
        }
    }

    /**
     * The current context's stream priorities {least, greatest}; the greatest is the numerically
     * smallest (0 and -5 on Hopper). Work of a higher-priority stream is scheduled first whenever
     * the GPU has room for a new block; running blocks are not preempted.
     */
    int[] streamPriorityRange() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment least = a.allocate(JAVA_INT), greatest = a.allocate(JAVA_INT);
            check(invoke(ctxGetStreamPriorityRange, least, greatest), "cuCtxGetStreamPriorityRange", "&least", "&greatest");
            return new int[] {least.get(JAVA_INT, 0), greatest.get(JAVA_INT, 0)};
        }
    }

    /** The priority {@code stream} was created with. */
    int streamPriority(MemorySegment stream) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            check(invoke(streamGetPriority, stream, out), "cuStreamGetPriority", stream, "&priority");
            return out.get(JAVA_INT, 0);
        }
    }

    /** Creates a handle through an out-parameter: {@code fn(&handle, args...)}. */
    MemorySegment createHandle(MethodHandle fn, String call, Object... args) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            Object[] all = new Object[args.length + 1];
            all[0] = out;
            System.arraycopy(args, 0, all, 1, args.length);
            int r = invoke(fn, all);
            if (r != 0) {
                Object[] shown = all.clone();
                shown[0] = "&handle";
                throw error(r, call, shown);
            }
            return out.get(ADDRESS, 0);
        }
    }
}
