package org.apbj.kernels.runtime.opencl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.apbj.kernels.runtime.DeviceUnavailableException;
import org.apbj.kernels.runtime.NativeLibrary;

/**
 * The OpenCL 1.2 host API from libOpenCL.so.1 (the ICD loader) through FFM downcalls. Every
 * call's cl_int result is checked; failures throw {@link OpenCLException} naming the call, its
 * arguments and the error. Handles (platforms, devices, contexts, ...) are raw addresses.
 */
public final class OpenCL {
    public static final String LIBRARY = "libOpenCL.so.1";

    // cl_device_type
    public static final long DEVICE_TYPE_CPU = 1 << 1, DEVICE_TYPE_GPU = 1 << 2, DEVICE_TYPE_ALL = 0xFFFFFFFFL;
    // cl_platform_info
    static final int PLATFORM_VERSION = 0x0901, PLATFORM_NAME = 0x0902, PLATFORM_VENDOR = 0x0903;
    // cl_device_info
    static final int DEVICE_TYPE = 0x1000, DEVICE_MAX_COMPUTE_UNITS = 0x1002, DEVICE_MAX_WORK_GROUP_SIZE = 0x1004,
            DEVICE_GLOBAL_MEM_SIZE = 0x101F, DEVICE_LOCAL_MEM_SIZE = 0x1023, DEVICE_MAX_MEM_ALLOC_SIZE = 0x1010,
            DEVICE_NAME = 0x102B, DEVICE_VENDOR = 0x102C, DEVICE_VERSION = 0x102F, DEVICE_EXTENSIONS = 0x1030,
            DRIVER_VERSION = 0x102D;
    // cl_program_build_info
    static final int PROGRAM_BUILD_LOG = 0x1183;
    // cl_mem_flags
    static final long MEM_READ_WRITE = 1;
    // cl_command_queue_properties
    static final long QUEUE_PROFILING_ENABLE = 1 << 1;
    // cl_profiling_info
    static final int PROFILING_COMMAND_START = 0x1282, PROFILING_COMMAND_END = 0x1283;

    private static volatile OpenCL instance;
    private static volatile DeviceUnavailableException unavailable;

    final MethodHandle getPlatformIDs, getPlatformInfo, getDeviceIDs, getDeviceInfo, createContext, releaseContext,
            createCommandQueue, releaseCommandQueue, createBuffer, releaseMemObject, createProgramWithSource,
            buildProgram, getProgramBuildInfo, releaseProgram, createKernel, releaseKernel, setKernelArg,
            enqueueNDRangeKernel, enqueueReadBuffer, enqueueWriteBuffer, enqueueCopyBuffer, enqueueFillBuffer,
            finish, flush, waitForEvents, releaseEvent, getEventProfilingInfo, enqueueMarkerWithWaitList;

    private OpenCL(NativeLibrary lib) {
        var P = ADDRESS;
        var I = JAVA_INT;
        var L = JAVA_LONG;
        getPlatformIDs = lib.function("clGetPlatformIDs", FunctionDescriptor.of(I, I, P, P));
        getPlatformInfo = lib.function("clGetPlatformInfo", FunctionDescriptor.of(I, P, I, L, P, P));
        getDeviceIDs = lib.function("clGetDeviceIDs", FunctionDescriptor.of(I, P, L, I, P, P));
        getDeviceInfo = lib.function("clGetDeviceInfo", FunctionDescriptor.of(I, P, I, L, P, P));
        createContext = lib.function("clCreateContext", FunctionDescriptor.of(P, P, I, P, P, P, P));
        releaseContext = lib.function("clReleaseContext", FunctionDescriptor.of(I, P));
        createCommandQueue = lib.function("clCreateCommandQueue", FunctionDescriptor.of(P, P, P, L, P));
        releaseCommandQueue = lib.function("clReleaseCommandQueue", FunctionDescriptor.of(I, P));
        createBuffer = lib.function("clCreateBuffer", FunctionDescriptor.of(P, P, L, L, P, P));
        releaseMemObject = lib.function("clReleaseMemObject", FunctionDescriptor.of(I, P));
        createProgramWithSource = lib.function("clCreateProgramWithSource", FunctionDescriptor.of(P, P, I, P, P, P));
        buildProgram = lib.function("clBuildProgram", FunctionDescriptor.of(I, P, I, P, P, P, P));
        getProgramBuildInfo = lib.function("clGetProgramBuildInfo", FunctionDescriptor.of(I, P, P, I, L, P, P));
        releaseProgram = lib.function("clReleaseProgram", FunctionDescriptor.of(I, P));
        createKernel = lib.function("clCreateKernel", FunctionDescriptor.of(P, P, P, P));
        releaseKernel = lib.function("clReleaseKernel", FunctionDescriptor.of(I, P));
        setKernelArg = lib.function("clSetKernelArg", FunctionDescriptor.of(I, P, I, L, P));
        enqueueNDRangeKernel = lib.function("clEnqueueNDRangeKernel", FunctionDescriptor.of(I, P, P, I, P, P, P, I, P, P));
        enqueueReadBuffer = lib.function("clEnqueueReadBuffer", FunctionDescriptor.of(I, P, P, I, L, L, P, I, P, P));
        enqueueWriteBuffer = lib.function("clEnqueueWriteBuffer", FunctionDescriptor.of(I, P, P, I, L, L, P, I, P, P));
        enqueueCopyBuffer = lib.function("clEnqueueCopyBuffer", FunctionDescriptor.of(I, P, P, P, L, L, L, I, P, P));
        enqueueFillBuffer = lib.function("clEnqueueFillBuffer", FunctionDescriptor.of(I, P, P, P, L, L, L, I, P, P));
        finish = lib.function("clFinish", FunctionDescriptor.of(I, P));
        flush = lib.function("clFlush", FunctionDescriptor.of(I, P));
        waitForEvents = lib.function("clWaitForEvents", FunctionDescriptor.of(I, I, P));
        releaseEvent = lib.function("clReleaseEvent", FunctionDescriptor.of(I, P));
        getEventProfilingInfo = lib.function("clGetEventProfilingInfo", FunctionDescriptor.of(I, P, I, L, P, P));
        enqueueMarkerWithWaitList = lib.function("clEnqueueMarkerWithWaitList", FunctionDescriptor.of(I, P, I, P, P));
    }

    /** The loaded API, or a {@link DeviceUnavailableException} saying what to install. */
    public static OpenCL get() {
        OpenCL cl = instance;
        if (cl != null) return cl;
        synchronized (OpenCL.class) {
            if (instance != null) return instance;
            if (unavailable != null) throw new DeviceUnavailableException(unavailable.getMessage(), unavailable);
            var lib = NativeLibrary.open(LIBRARY);
            if (lib.isEmpty()) {
                unavailable = new DeviceUnavailableException("OpenCL unavailable: the dynamic loader cannot find " + LIBRARY
                        + " (the OpenCL ICD loader). Install it and a driver: on Debian/Ubuntu 'apt-get install"
                        + " ocl-icd-libopencl1 pocl-opencl-icd' (PoCL runs OpenCL on the CPU); on NVIDIA machines the"
                        + " driver provides the OpenCL ICD");
                throw unavailable;
            }
            instance = new OpenCL(lib.get());
            return instance;
        }
    }

    /** Whether libOpenCL.so.1 can be loaded (does not say whether any platform exists). */
    public static boolean libraryPresent() {
        try {
            get();
            return true;
        } catch (DeviceUnavailableException e) {
            return false;
        }
    }

    // --- calls ---------------------------------------------------------------------------------

    /** Invokes a function returning cl_int and checks it. */
    int call(String name, MethodHandle fn, Object... args) {
        int code;
        try {
            code = (int) fn.invokeWithArguments(args);
        } catch (Throwable t) {
            throw new OpenCLException(name + " could not be called: " + t, 0);
        }
        if (code != 0) throw error(name, code, args);
        return code;
    }

    /** Invokes a function returning a handle with an {@code errcode_ret} last argument. */
    MemorySegment create(String name, MethodHandle fn, Object... argsWithoutErr) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(JAVA_INT);
            Object[] args = Arrays.copyOf(argsWithoutErr, argsWithoutErr.length + 1);
            args[args.length - 1] = err;
            MemorySegment handle;
            try {
                handle = (MemorySegment) fn.invokeWithArguments(args);
            } catch (Throwable t) {
                throw new OpenCLException(name + " could not be called: " + t, 0);
            }
            int code = err.get(JAVA_INT, 0);
            if (code != 0 || handle.address() == 0) throw error(name, code, argsWithoutErr);
            return handle;
        }
    }

    static OpenCLException error(String name, int code, Object[] args) {
        String shown = Arrays.stream(args).map(OpenCL::show).collect(Collectors.joining(", "));
        return new OpenCLException(name + "(" + shown + ") failed: " + errorName(code) + " (" + code + ")", code);
    }

    private static String show(Object a) {
        if (a instanceof MemorySegment s) return s.address() == 0 ? "NULL" : "0x" + Long.toHexString(s.address());
        return String.valueOf(a);
    }

    // --- queries -------------------------------------------------------------------------------

    public List<MemorySegment> platforms() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            int code;
            try {
                code = (int) getPlatformIDs.invokeWithArguments(0, MemorySegment.NULL, n);
            } catch (Throwable t) {
                throw new OpenCLException("clGetPlatformIDs could not be called: " + t, 0);
            }
            if (code == -1001) return List.of();   // CL_PLATFORM_NOT_FOUND_KHR: the ICD loader found no driver
            if (code != 0) throw error("clGetPlatformIDs", code, new Object[] {0, "NULL", "&n"});
            int count = n.get(JAVA_INT, 0);
            if (count == 0) return List.of();
            MemorySegment ids = a.allocate(ADDRESS, count);
            call("clGetPlatformIDs", getPlatformIDs, count, ids, MemorySegment.NULL);
            List<MemorySegment> out = new ArrayList<>();
            for (int i = 0; i < count; i++) out.add(ids.getAtIndex(ADDRESS, i));
            return out;
        }
    }

    public String platformInfo(MemorySegment platform, int param) {
        return string("clGetPlatformInfo", getPlatformInfo, platform, param);
    }

    public List<MemorySegment> devices(MemorySegment platform, long type) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            int code;
            try {
                code = (int) getDeviceIDs.invokeWithArguments(platform, type, 0, MemorySegment.NULL, n);
            } catch (Throwable t) {
                throw new OpenCLException("clGetDeviceIDs could not be called: " + t, 0);
            }
            if (code == -1) return List.of();   // CL_DEVICE_NOT_FOUND
            if (code != 0) throw error("clGetDeviceIDs", code, new Object[] {platform, type, 0, "NULL", "&n"});
            int count = n.get(JAVA_INT, 0);
            MemorySegment ids = a.allocate(ADDRESS, count);
            call("clGetDeviceIDs", getDeviceIDs, platform, type, count, ids, MemorySegment.NULL);
            List<MemorySegment> out = new ArrayList<>();
            for (int i = 0; i < count; i++) out.add(ids.getAtIndex(ADDRESS, i));
            return out;
        }
    }

    public String deviceString(MemorySegment device, int param) {
        return string("clGetDeviceInfo", getDeviceInfo, device, param);
    }

    public long deviceLong(MemorySegment device, int param) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_LONG);
            call("clGetDeviceInfo", getDeviceInfo, device, param, 8L, v, MemorySegment.NULL);
            return v.get(JAVA_LONG, 0);
        }
    }

    public int deviceInt(MemorySegment device, int param) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            call("clGetDeviceInfo", getDeviceInfo, device, param, 4L, v, MemorySegment.NULL);
            return v.get(JAVA_INT, 0);
        }
    }

    private String string(String name, MethodHandle fn, MemorySegment object, int param) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(JAVA_LONG);
            call(name, fn, object, param, 0L, MemorySegment.NULL, size);
            long n = size.get(JAVA_LONG, 0);
            if (n == 0) return "";
            MemorySegment buf = a.allocate(n);
            call(name, fn, object, param, n, buf, MemorySegment.NULL);
            return cString(buf);
        }
    }

    String buildLog(MemorySegment program, MemorySegment device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(JAVA_LONG);
            call("clGetProgramBuildInfo", getProgramBuildInfo, program, device, PROGRAM_BUILD_LOG, 0L, MemorySegment.NULL, size);
            long n = size.get(JAVA_LONG, 0);
            if (n <= 1) return "";
            MemorySegment buf = a.allocate(n);
            call("clGetProgramBuildInfo", getProgramBuildInfo, program, device, PROGRAM_BUILD_LOG, n, buf, MemorySegment.NULL);
            return cString(buf).strip();
        }
    }

    static String cString(MemorySegment buf) {
        long len = 0;
        while (len < buf.byteSize() && buf.get(java.lang.foreign.ValueLayout.JAVA_BYTE, len) != 0) len++;
        return new String(buf.asSlice(0, len).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }

    /** A platform with its devices, for listings and selection. */
    public record PlatformInfo(int index, MemorySegment id, String name, String vendor, String version,
                               List<MemorySegment> devices, List<String> deviceNames) {
        public String describe() {
            return "#" + index + " " + name + " (" + vendor + ", " + version + "): " + deviceNames;
        }

        /** "#0 Portable Computing Language: [cpu]": for listings in messages. */
        public String brief() {
            return "#" + index + " " + name + ": " + deviceNames;
        }
    }

    public List<PlatformInfo> describePlatforms() {
        List<PlatformInfo> out = new ArrayList<>();
        List<MemorySegment> ps = platforms();
        for (int i = 0; i < ps.size(); i++) {
            MemorySegment p = ps.get(i);
            List<MemorySegment> ds = devices(p, DEVICE_TYPE_ALL);
            out.add(new PlatformInfo(i, p, platformInfo(p, PLATFORM_NAME), platformInfo(p, PLATFORM_VENDOR),
                    platformInfo(p, PLATFORM_VERSION), ds, ds.stream().map(d -> deviceString(d, DEVICE_NAME)).toList()));
        }
        return out;
    }

    private static final Map<Integer, String> ERRORS = Map.ofEntries(
            Map.entry(-1, "CL_DEVICE_NOT_FOUND"), Map.entry(-2, "CL_DEVICE_NOT_AVAILABLE"),
            Map.entry(-3, "CL_COMPILER_NOT_AVAILABLE"), Map.entry(-4, "CL_MEM_OBJECT_ALLOCATION_FAILURE"),
            Map.entry(-5, "CL_OUT_OF_RESOURCES"), Map.entry(-6, "CL_OUT_OF_HOST_MEMORY"),
            Map.entry(-7, "CL_PROFILING_INFO_NOT_AVAILABLE"), Map.entry(-8, "CL_MEM_COPY_OVERLAP"),
            Map.entry(-11, "CL_BUILD_PROGRAM_FAILURE"), Map.entry(-12, "CL_MAP_FAILURE"),
            Map.entry(-13, "CL_MISALIGNED_SUB_BUFFER_OFFSET"), Map.entry(-14, "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST"),
            Map.entry(-17, "CL_LINK_PROGRAM_FAILURE"), Map.entry(-30, "CL_INVALID_VALUE"),
            Map.entry(-31, "CL_INVALID_DEVICE_TYPE"), Map.entry(-32, "CL_INVALID_PLATFORM"),
            Map.entry(-33, "CL_INVALID_DEVICE"), Map.entry(-34, "CL_INVALID_CONTEXT"),
            Map.entry(-35, "CL_INVALID_QUEUE_PROPERTIES"), Map.entry(-36, "CL_INVALID_COMMAND_QUEUE"),
            Map.entry(-37, "CL_INVALID_HOST_PTR"), Map.entry(-38, "CL_INVALID_MEM_OBJECT"),
            Map.entry(-42, "CL_INVALID_BINARY"), Map.entry(-43, "CL_INVALID_BUILD_OPTIONS"),
            Map.entry(-44, "CL_INVALID_PROGRAM"), Map.entry(-45, "CL_INVALID_PROGRAM_EXECUTABLE"),
            Map.entry(-46, "CL_INVALID_KERNEL_NAME"), Map.entry(-47, "CL_INVALID_KERNEL_DEFINITION"),
            Map.entry(-48, "CL_INVALID_KERNEL"), Map.entry(-49, "CL_INVALID_ARG_INDEX"),
            Map.entry(-50, "CL_INVALID_ARG_VALUE"), Map.entry(-51, "CL_INVALID_ARG_SIZE"),
            Map.entry(-52, "CL_INVALID_KERNEL_ARGS"), Map.entry(-53, "CL_INVALID_WORK_DIMENSION"),
            Map.entry(-54, "CL_INVALID_WORK_GROUP_SIZE"), Map.entry(-55, "CL_INVALID_WORK_ITEM_SIZE"),
            Map.entry(-56, "CL_INVALID_GLOBAL_OFFSET"), Map.entry(-57, "CL_INVALID_EVENT_WAIT_LIST"),
            Map.entry(-58, "CL_INVALID_EVENT"), Map.entry(-59, "CL_INVALID_OPERATION"),
            Map.entry(-61, "CL_INVALID_BUFFER_SIZE"), Map.entry(-63, "CL_INVALID_GLOBAL_WORK_SIZE"),
            Map.entry(-1001, "CL_PLATFORM_NOT_FOUND_KHR"));

    public static String errorName(int code) { return ERRORS.getOrDefault(code, "CL_ERROR"); }
}
