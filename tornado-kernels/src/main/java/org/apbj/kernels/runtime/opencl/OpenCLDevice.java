package org.apbj.kernels.runtime.opencl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.apbj.kernels.api.DeviceArray;
import org.apbj.kernels.api.Kernel;
import org.apbj.kernels.jit.CompiledKernel;
import org.apbj.kernels.jit.KernelCompiler;
import org.apbj.kernels.jit.Target;
import org.apbj.kernels.runtime.ArrayTypes;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.CopyChecks.Side;
import org.apbj.kernels.runtime.CopyChecks;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.DeviceCapabilities;
import org.apbj.kernels.runtime.DeviceMemoryException;
import org.apbj.kernels.runtime.DeviceUnavailableException;
import org.apbj.kernels.runtime.Grid;
import org.apbj.kernels.runtime.KernelBuildException;
import org.apbj.kernels.runtime.KernelLaunchException;
import org.apbj.kernels.runtime.KernelParams;
import org.apbj.kernels.runtime.LaunchArguments;
import org.apbj.kernels.runtime.Marker;
import org.apbj.kernels.runtime.MemoryTracker;

/**
 * One OpenCL device (PoCL on CPUs in CI, NVIDIA's OpenCL on GPUs) with its own context and an
 * in-order, profiling-enabled command queue. Kernels come from the compiler as OpenCL C;
 * each program is built once per {@link CompiledKernel#cacheKey()}.
 *
 * <p>Selecting: {@code opencl} takes the first platform with a GPU, else the first with any
 * device; {@code opencl:N} platform N; {@code opencl:NAME} the first platform whose name or
 * vendor contains NAME (case-insensitive, e.g. "pocl", "nvidia"); a further {@code :M} picks
 * the platform's device M. The system property {@code apbj.opencl.platform} supplies the
 * selector when none is given.
 */
public final class OpenCLDevice implements Device {
    private static final int RECENT_KERNELS = 8;

    private final OpenCL cl;
    private final String name;
    private final String platformName;
    private final MemorySegment device;
    private final MemorySegment context;
    private final MemorySegment queue;
    private final long globalMemBytes;
    private final DeviceCapabilities capabilities;
    private final String extensions;
    private final MemoryTracker memory = new MemoryTracker();
    private final Set<OpenCLBuffer> live = ConcurrentHashMap.newKeySet();
    private final Map<String, Program> programs = new ConcurrentHashMap<>();
    private final ArrayDeque<String> recent = new ArrayDeque<>();
    private MemorySegment lastEvent = MemorySegment.NULL;
    private final AtomicLong preparationNanos = new AtomicLong();
    private volatile boolean closed;

    /** A built program and its kernel object (kernel objects are used under the device's lock). */
    private record Program(MemorySegment program, MemorySegment kernel, CompiledKernel compiled) {}

    private OpenCLDevice(OpenCL cl, OpenCL.PlatformInfo platform, int deviceIndex) {
        this.cl = cl;
        this.platformName = platform.name();
        this.device = platform.devices().get(deviceIndex);
        this.name = new Selection(platform, deviceIndex).describe();
        this.globalMemBytes = cl.deviceLong(device, OpenCL.DEVICE_GLOBAL_MEM_SIZE);
        this.capabilities = DeviceCapabilities.portable(cl.deviceLong(device, OpenCL.DEVICE_LOCAL_MEM_SIZE),
                (int) Math.min(Integer.MAX_VALUE, cl.deviceLong(device, OpenCL.DEVICE_MAX_WORK_GROUP_SIZE)),
                Math.max(1, cl.deviceInt(device, OpenCL.DEVICE_MAX_COMPUTE_UNITS)));
        this.extensions = cl.deviceString(device, OpenCL.DEVICE_EXTENSIONS);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment devs = a.allocateFrom(ADDRESS, device);
            this.context = cl.create("clCreateContext", cl.createContext, MemorySegment.NULL, 1, devs,
                    MemorySegment.NULL, MemorySegment.NULL);
        }
        this.queue = cl.create("clCreateCommandQueue", cl.createCommandQueue, context, device, OpenCL.QUEUE_PROFILING_ENABLE);
    }

    /** Opens the device a selector names (see the class comment); null or "" means the default choice. */
    /**
     * PoCL crashed the JVM when two threads opened devices or built programs at once. The lock
     * must be JVM-wide: MPJ Express multicore ranks are threads with class loaders of their own,
     * so a static field would exist once per rank, while an interned string is one object.
     */
    private static final Object NATIVE_SETUP_LOCK = "org.apbj.kernels.runtime.opencl.setup".intern();

    public static OpenCLDevice open(String selector) {
        synchronized (NATIVE_SETUP_LOCK) {
            return openUnlocked(selector);
        }
    }

    private static OpenCLDevice openUnlocked(String selector) {
        Selection chosen = select(selector);
        SignalChaining.requireFor(chosen.platform().name());
        return new OpenCLDevice(OpenCL.get(), chosen.platform(), chosen.deviceIndex());
    }

    /** A platform and one of its devices, chosen by a selector. */
    private record Selection(OpenCL.PlatformInfo platform, int deviceIndex) {
        String describe() {
            return "opencl:" + platform.index() + ":" + deviceIndex + " " + platform.deviceNames().get(deviceIndex)
                    + " (" + platform.name() + ")";
        }
    }

    /**
     * Checks that {@code selector} names a device here without opening it (no context, no queue)
     * and returns the device in words; the same rules and errors as {@link #open}.
     */
    public static String check(String selector) {
        synchronized (NATIVE_SETUP_LOCK) {
            return select(selector).describe();
        }
    }

    private static Selection select(String selector) {
        OpenCL cl = OpenCL.get();
        if (selector == null || selector.isBlank()) selector = System.getProperty("apbj.opencl.platform", "");
        List<OpenCL.PlatformInfo> platforms = cl.describePlatforms();
        if (platforms.isEmpty()) {
            throw new DeviceUnavailableException("OpenCL: " + OpenCL.LIBRARY + " loaded but it lists no platform (no"
                    + " driver registered in /etc/OpenCL/vendors): install one, e.g. 'apt-get install pocl-opencl-icd'");
        }
        String platformPart = selector, devicePart = null;
        int colon = selector.lastIndexOf(':');
        if (colon >= 0) {
            platformPart = selector.substring(0, colon);
            devicePart = selector.substring(colon + 1);
        }
        OpenCL.PlatformInfo chosen = choosePlatform(platforms, platformPart.strip(), selector);
        int deviceIndex = 0;
        if (devicePart != null) {
            try {
                deviceIndex = Integer.parseInt(devicePart.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("OpenCL selector '" + selector + "': device part '" + devicePart
                        + "' is not an index; use PLATFORM[:DEVICE], e.g. 'pocl:0' or '1:0'");
            }
        }
        if (chosen.devices().isEmpty()) {
            throw new DeviceUnavailableException("OpenCL platform " + chosen.describe() + " has no devices");
        }
        if (deviceIndex < 0 || deviceIndex >= chosen.devices().size()) {
            throw new IllegalArgumentException("OpenCL platform #" + chosen.index() + " " + chosen.name() + " has no device "
                    + deviceIndex + "; its devices: 0.." + (chosen.devices().size() - 1) + " " + chosen.deviceNames());
        }
        return new Selection(chosen, deviceIndex);
    }

    private static OpenCL.PlatformInfo choosePlatform(List<OpenCL.PlatformInfo> platforms, String want, String selector) {
        String listing = platforms.stream().map(OpenCL.PlatformInfo::brief).toList().toString();
        if (want.isEmpty()) {
            OpenCL cl = OpenCL.get();
            for (OpenCL.PlatformInfo p : platforms) {
                if (!cl.devices(p.id(), OpenCL.DEVICE_TYPE_GPU).isEmpty()) return p;
            }
            return platforms.stream().filter(p -> !p.devices().isEmpty()).findFirst()
                    .orElseThrow(() -> new DeviceUnavailableException("OpenCL: no platform has a device: " + listing));
        }
        if (want.chars().allMatch(Character::isDigit)) {
            int i = Integer.parseInt(want);
            if (i >= platforms.size()) {
                throw new IllegalArgumentException("no OpenCL platform " + i + " (platforms: 0.." + (platforms.size() - 1)
                        + "): " + listing);
            }
            return platforms.get(i);
        }
        String w = want.toLowerCase(Locale.ROOT);
        return platforms.stream()
                .filter(p -> (p.name() + " " + p.vendor()).toLowerCase(Locale.ROOT).contains(w))
                .findFirst()
                .orElseThrow(() -> new DeviceUnavailableException("OpenCL selector '" + selector
                        + "': no platform whose name or vendor contains '" + want + "'; platforms: " + listing));
    }

    @Override public Backend backend() { return Backend.OPENCL; }
    @Override public String name() { return name; }
    @Override public DeviceCapabilities capabilities() { return capabilities; }
    @Override public String toString() { return name; }

    public String platformName() { return platformName; }
    public boolean supportsFp64() { return extensions.contains("cl_khr_fp64"); }
    public boolean supportsFp16() { return extensions.contains("cl_khr_fp16"); }
    public String extensions() { return extensions; }

    // --- memory --------------------------------------------------------------------------------

    @Override
    public <A extends DeviceArray> A alloc(Class<A> type, long length) {
        ensureOpen();
        long bytes = ArrayTypes.byteSize(type, length);
        // OpenCL rejects empty buffers, and the zero fill's size must be a multiple of its 4-byte pattern
        long physical = (Math.max(bytes, 4) + 3) & ~3L;
        MemorySegment mem;
        try {
            mem = cl.create("clCreateBuffer", cl.createBuffer, context, OpenCL.MEM_READ_WRITE, physical, MemorySegment.NULL);
        } catch (OpenCLException e) {
            throw new DeviceMemoryException(name + ": cannot allocate " + DeviceMemoryException.bytes(bytes)
                    + "; allocated through this device " + DeviceMemoryException.bytes(memory.allocatedBytes())
                    + ", device global memory " + DeviceMemoryException.bytes(globalMemBytes) + " (" + e.getMessage() + ")", e);
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment zero = a.allocate(4);
            cl.call("clEnqueueFillBuffer", cl.enqueueFillBuffer, queue, mem, zero, 4L, 0L, physical, 0,
                    MemorySegment.NULL, MemorySegment.NULL);
            cl.call("clFinish", cl.finish, queue);
        } catch (RuntimeException e) {
            cl.call("clReleaseMemObject", cl.releaseMemObject, mem);
            throw e;
        }
        OpenCLBuffer b = new OpenCLBuffer(this, mem, bytes);
        live.add(b);
        memory.allocated(bytes);
        return ArrayTypes.wrap(type, b);
    }

    void release(OpenCLBuffer b, MemorySegment mem) {
        if (live.remove(b)) {
            memory.freed(b.byteSize());
            if (!closed) cl.call("clReleaseMemObject", cl.releaseMemObject, mem);
        }
    }

    @Override
    public void copy(DeviceArray dst, long dstIndex, DeviceArray src, long srcIndex, long count) {
        ensureOpen();
        Side[] sides = CopyChecks.check(this, dst, dstIndex, src, srcIndex, count);
        long eb = dst.elementBytes();
        long bytes = count * eb, dstOff = dstIndex * eb, srcOff = srcIndex * eb;
        if (bytes == 0) return;
        Side d = sides[0], s = sides[1];
        if (d == Side.HOST && s == Side.HOST) {
            MemorySegment.copy(src.segment(), srcOff, dst.segment(), dstOff, bytes);
        } else if (d == Side.DEVICE && s == Side.HOST) {
            cl.call("clEnqueueWriteBuffer", cl.enqueueWriteBuffer, queue, mem(dst), 1, dstOff, bytes,
                    src.segment().asSlice(srcOff, bytes), 0, MemorySegment.NULL, MemorySegment.NULL);
        } else if (d == Side.HOST) {
            cl.call("clEnqueueReadBuffer", cl.enqueueReadBuffer, queue, mem(src), 1, srcOff, bytes,
                    dst.segment().asSlice(dstOff, bytes), 0, MemorySegment.NULL, MemorySegment.NULL);
        } else {
            cl.call("clEnqueueCopyBuffer", cl.enqueueCopyBuffer, queue, mem(src), mem(dst), srcOff, dstOff, bytes, 0,
                    MemorySegment.NULL, MemorySegment.NULL);
            finish();
        }
    }

    /**
     * Device→device copies are enqueued without waiting; host→device writes are blocking
     * writes (the queue is in order, and the host source is free when they return); a host
     * destination is the synchronous {@link #copy}.
     */
    @Override
    public void enqueueCopy(DeviceArray dst, long dstIndex, DeviceArray src, long srcIndex, long count) {
        ensureOpen();
        Side[] sides = CopyChecks.check(this, dst, dstIndex, src, srcIndex, count);
        long eb = dst.elementBytes();
        long bytes = count * eb;
        if (sides[0] == Side.DEVICE && sides[1] == Side.DEVICE) {
            if (bytes == 0) return;
            cl.call("clEnqueueCopyBuffer", cl.enqueueCopyBuffer, queue, mem(src), mem(dst), srcIndex * eb, dstIndex * eb,
                    bytes, 0, MemorySegment.NULL, MemorySegment.NULL);
        } else {
            copy(dst, dstIndex, src, srcIndex, count);
        }
    }

    private static MemorySegment mem(DeviceArray a) { return ((OpenCLBuffer) a.buffer()).mem(); }

    @Override
    public MemoryStats memory() {
        // OpenCL has no free-memory query: free is the global memory minus what this device allocated.
        return new MemoryStats(memory.allocatedBytes(), memory.peakBytes(),
                globalMemBytes - memory.allocatedBytes(), globalMemBytes);
    }

    /** cl_mem buffers allocated here and not yet released. */
    public long liveBuffers() { return memory.liveBuffers(); }

    // --- kernels -------------------------------------------------------------------------------

    @Override
    public void launch(Kernel kernel, Grid grid, Object... args) {
        ensureOpen();
        LaunchArguments.check(kernel, grid, args, this, false);
        long t0 = System.nanoTime();
        CompiledKernel ck = KernelCompiler.compile(kernel, Target.OPENCL, args);
        launchPrepared(ck, kernel.qualifiedName(), grid, System.nanoTime() - t0, KernelParams.select(ck, args));
    }

    /**
     * Launches OpenCL C that did not come from a Java method (hand-written kernels, tests):
     * {@code values} follow {@code ck.params()} exactly.
     */
    public void launchCompiled(CompiledKernel ck, String displayName, Grid grid, Object... values) {
        launchPrepared(ck, displayName, grid, 0, values);
    }

    /** {@code compileNanos}: what compiling ck took, booked as preparation if its program is new here. */
    private void launchPrepared(CompiledKernel ck, String displayName, Grid grid, long compileNanos, Object[] values) {
        ensureOpen();
        KernelParams.checkLaunch(ck, Target.Kind.OPENCL, displayName, grid, values, this);
        Program p = programs.get(ck.cacheKey());
        if (p == null) {
            long t0 = System.nanoTime();
            p = program(ck, displayName);
            preparationNanos.addAndGet(compileNanos + System.nanoTime() - t0);
        }
        synchronized (this) {
            try (Arena a = Arena.ofConfined()) {
                for (int i = 0; i < values.length; i++) {
                    var kind = ck.params().get(i).kind();
                    MemorySegment v = KernelParams.nativeValue(a, kind, values[i]);
                    cl.call("clSetKernelArg", cl.setKernelArg, p.kernel(), i, v.byteSize(), v);
                }
                int dims = grid.dims();
                MemorySegment global = a.allocate(JAVA_LONG, dims), local = a.allocate(JAVA_LONG, dims);
                for (int d = 0; d < dims; d++) {
                    global.setAtIndex(JAVA_LONG, d, grid.globalSize(d));
                    local.setAtIndex(JAVA_LONG, d, grid.localSize(d));
                }
                MemorySegment event = a.allocate(ADDRESS);
                try {
                    cl.call("clEnqueueNDRangeKernel", cl.enqueueNDRangeKernel, queue, p.kernel(), dims, MemorySegment.NULL,
                            global, local, 0, MemorySegment.NULL, event);
                } catch (OpenCLException e) {
                    throw new KernelLaunchException("launching " + displayName + " over " + grid + " failed: " + e.getMessage(), e);
                }
                if (lastEvent.address() != 0) cl.call("clReleaseEvent", cl.releaseEvent, lastEvent);
                lastEvent = event.get(ADDRESS, 0);
                if (recent.size() == RECENT_KERNELS) recent.removeFirst();
                recent.addLast(displayName + " " + grid);
            }
        }
    }

    private Program program(CompiledKernel ck, String displayName) {
        return programs.computeIfAbsent(ck.cacheKey(), key -> build(ck, displayName));
    }

    private Program build(CompiledKernel ck, String displayName) {
        MemorySegment program;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment src = a.allocateFrom(ck.source());
            MemorySegment strings = a.allocateFrom(ADDRESS, src);
            program = cl.create("clCreateProgramWithSource", cl.createProgramWithSource, context, 1, strings, MemorySegment.NULL);
            MemorySegment devs = a.allocateFrom(ADDRESS, device);
            MemorySegment options = a.allocateFrom("-cl-std=CL1.2");
            try {
                synchronized (NATIVE_SETUP_LOCK) {
                    cl.call("clBuildProgram", cl.buildProgram, program, 1, devs, options, MemorySegment.NULL, MemorySegment.NULL);
                }
            } catch (OpenCLException e) {
                String log;
                try {
                    log = cl.buildLog(program, device);
                } catch (RuntimeException logFailure) {
                    log = "(the build log could not be read: " + logFailure.getMessage() + ")";
                }
                cl.call("clReleaseProgram", cl.releaseProgram, program);
                throw new KernelBuildException("OpenCL build of " + displayName + " (entry " + ck.entryName() + ") failed on "
                        + name + ": " + e.getMessage(), log, KernelBuildException.dump("apbj-" + ck.entryName() + "-", ".cl", ck.source()));
            }
            MemorySegment kernel;
            try {
                kernel = cl.create("clCreateKernel", cl.createKernel, program, a.allocateFrom(ck.entryName()));
            } catch (OpenCLException e) {
                cl.call("clReleaseProgram", cl.releaseProgram, program);
                throw new KernelBuildException("OpenCL program of " + displayName + " has no kernel '" + ck.entryName() + "': "
                        + e.getMessage(), "", KernelBuildException.dump("apbj-" + ck.entryName() + "-", ".cl", ck.source()));
            }
            return new Program(program, kernel, ck);
        }
    }

    /** Number of OpenCL programs built and cached on this device. */
    public int cachedPrograms() { return programs.size(); }

    @Override
    public void synchronize() {
        ensureOpen();
        finish();
    }

    private void finish() {
        try {
            cl.call("clFinish", cl.finish, queue);
        } catch (OpenCLException e) {
            throw new KernelLaunchException(name + ": waiting for the queue failed (" + e.getMessage()
                    + "); kernels launched last: " + recentKernels(), e);
        }
    }

    /** Time spent compiling kernels and building their programs on this device. */
    @Override
    public long preparationNanos() { return preparationNanos.get(); }

    /** An OpenCL marker on the (profiling) queue; its time is the marker's completion time on the device. */
    @Override
    public Marker mark() {
        ensureOpen();
        synchronized (this) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment event = a.allocate(ADDRESS);
                cl.call("clEnqueueMarkerWithWaitList", cl.enqueueMarkerWithWaitList, queue, 0, MemorySegment.NULL, event);
                return new QueueMarker(event.get(ADDRESS, 0));
            }
        }
    }

    private final class QueueMarker implements Marker {
        private MemorySegment event;

        QueueMarker(MemorySegment event) { this.event = event; }

        @Override
        public long nanosUntil(Marker later) {
            if (!(later instanceof QueueMarker m) || m.device() != OpenCLDevice.this) {
                throw new IllegalArgumentException("marks of " + name + " can only be compared with each other, not with " + later);
            }
            if (event == null || m.event == null) throw new IllegalStateException("marker of " + name + " is closed");
            ensureOpen();
            try (Arena a = Arena.ofConfined()) {
                try {
                    cl.call("clWaitForEvents", cl.waitForEvents, 1, a.allocateFrom(ADDRESS, m.event));
                } catch (OpenCLException e) {
                    throw new KernelLaunchException(name + ": work before a mark failed (" + e.getMessage()
                            + "); kernels launched last: " + recentKernels(), e);
                }
                return m.endNanos(a) - endNanos(a);
            }
        }

        private long endNanos(Arena a) {
            MemorySegment t = a.allocate(JAVA_LONG);
            cl.call("clGetEventProfilingInfo", cl.getEventProfilingInfo, event, OpenCL.PROFILING_COMMAND_END, 8L, t,
                    MemorySegment.NULL);
            return t.get(JAVA_LONG, 0);
        }

        private OpenCLDevice device() { return OpenCLDevice.this; }

        @Override
        public void close() {
            if (event == null) return;
            cl.call("clReleaseEvent", cl.releaseEvent, event);
            event = null;
        }

        @Override
        public String toString() { return "OpenCL marker on " + name; }
    }

    /** Time the last launched kernel took on the device, in nanoseconds (waits for it). */
    public synchronized long lastKernelNanos() {
        if (lastEvent.address() == 0) throw new IllegalStateException("no kernel launched on " + name);
        try (Arena a = Arena.ofConfined()) {
            cl.call("clWaitForEvents", cl.waitForEvents, 1, a.allocateFrom(ADDRESS, lastEvent));
            MemorySegment start = a.allocate(JAVA_LONG), end = a.allocate(JAVA_LONG);
            cl.call("clGetEventProfilingInfo", cl.getEventProfilingInfo, lastEvent, OpenCL.PROFILING_COMMAND_START, 8L, start, MemorySegment.NULL);
            cl.call("clGetEventProfilingInfo", cl.getEventProfilingInfo, lastEvent, OpenCL.PROFILING_COMMAND_END, 8L, end, MemorySegment.NULL);
            return end.get(JAVA_LONG, 0) - start.get(JAVA_LONG, 0);
        }
    }

    private synchronized String recentKernels() { return recent.isEmpty() ? "none" : String.join(", ", recent); }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException(name + " is closed");
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        try {
            cl.call("clFinish", cl.finish, queue);
        } catch (OpenCLException ignored) {
            // closing anyway: release what we hold
        }
        for (OpenCLBuffer b : List.copyOf(live)) b.close();
        closed = true;
        if (lastEvent.address() != 0) cl.call("clReleaseEvent", cl.releaseEvent, lastEvent);
        for (Program p : programs.values()) {
            cl.call("clReleaseKernel", cl.releaseKernel, p.kernel());
            cl.call("clReleaseProgram", cl.releaseProgram, p.program());
        }
        programs.clear();
        cl.call("clReleaseCommandQueue", cl.releaseCommandQueue, queue);
        cl.call("clReleaseContext", cl.releaseContext, context);
    }
}
