package org.apbj.kernels.runtime.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

import org.apbj.kernels.api.DeviceArray;
import org.apbj.kernels.api.Kernel;
import org.apbj.kernels.api.TensorMap;
import org.apbj.kernels.jit.CompiledKernel;
import org.apbj.kernels.jit.CompiledKernel.ParamKind;
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
import org.apbj.kernels.runtime.SecondQueue;
import org.apbj.kernels.runtime.KernelBuildException;
import org.apbj.kernels.runtime.KernelLaunchException;
import org.apbj.kernels.runtime.KernelParams;
import org.apbj.kernels.runtime.LaunchArguments;
import org.apbj.kernels.runtime.Marker;
import org.apbj.kernels.runtime.MemoryTracker;
import org.apbj.kernels.runtime.Replayable;

/**
 * One NVIDIA GPU through the CUDA driver API: its primary context (made current at the start
 * of every public method, so any thread may use the device: ranks are threads), one
 * non-blocking stream that every copy and launch goes through in order, device memory, pinned
 * host memory, PTX modules JIT-compiled by the driver (cached per {@link CompiledKernel#cacheKey()})
 * and cuLaunchKernel. {@link #copy} is synchronous; {@link #enqueueCopy} and launches are not,
 * and a kernel fault surfaces at the next synchronisation, naming the kernels launched last.
 * {@link #mark()} records a CUDA event (pooled) on the stream, so work is timed without
 * synchronising; {@link #streamSynchronizations()} counts the times the host waited.
 */
public final class CudaDevice implements Device {
    /** Static shared memory a block may declare without opting in. */
    public static final int STATIC_SHARED_LIMIT = 48 * 1024;
    private static final int RECENT_KERNELS = 8;
    private static final int LOG_BYTES = 64 * 1024;

    private final CudaDriver drv;
    private final int ordinal;
    private final int device;
    private final String name;
    private final int ccMajor, ccMinor, smCount, maxThreadsPerBlock, maxSharedOptIn;
    private final long totalMemory;
    private final MemorySegment context;
    private final MemorySegment stream;
    /**
     * Where launches, copies and marks go now: {@link #stream}, or a second queue's stream while
     * its {@link SecondQueue#run} runs (on the thread that drives the device).
     */
    private MemorySegment current;
    /** Orders an allocation's zero-fill (on the main stream) before a second queue's work. */
    private MemorySegment allocFence;
    private final MemorySegment timerStart, timerEnd;
    private final MemoryTracker memory = new MemoryTracker();
    private final AtomicLong pinnedBytes = new AtomicLong();
    private final Set<CudaBuffer> live = ConcurrentHashMap.newKeySet();
    private final Set<PinnedBuffer> livePinned = ConcurrentHashMap.newKeySet();
    private final Map<String, LoadedKernel> modules = new ConcurrentHashMap<>();
    private final ConcurrentLinkedDeque<MemorySegment> freeEvents = new ConcurrentLinkedDeque<>();
    private final Set<Long> markerEvents = ConcurrentHashMap.newKeySet();
    private final AtomicLong preparationNanos = new AtomicLong();
    private final AtomicLong streamSyncs = new AtomicLong();
    private final ArrayDeque<String> recent = new ArrayDeque<>();
    private volatile boolean closed;

    /** A loaded module, its entry function and the dynamic shared memory each launch requests. */
    private record LoadedKernel(MemorySegment module, MemorySegment function, CompiledKernel compiled,
                                int dynamicSharedBytes, String jitInfoLog, float jitMillis) {}

    private CudaDevice(CudaDriver drv, int ordinal) {
        this.drv = drv;
        this.ordinal = ordinal;
        this.device = drv.device(ordinal);
        this.ccMajor = drv.attribute(device, CudaDriver.ATTR_CC_MAJOR);
        this.ccMinor = drv.attribute(device, CudaDriver.ATTR_CC_MINOR);
        this.smCount = drv.attribute(device, CudaDriver.ATTR_MULTIPROCESSOR_COUNT);
        this.maxThreadsPerBlock = drv.attribute(device, CudaDriver.ATTR_MAX_THREADS_PER_BLOCK);
        this.maxSharedOptIn = drv.attribute(device, CudaDriver.ATTR_MAX_SHARED_PER_BLOCK_OPTIN);
        this.totalMemory = drv.totalMemory(device);
        this.name = "cuda:" + ordinal + " " + drv.deviceName(device) + " (" + target() + ")";
        this.context = drv.createHandle(drv.primaryCtxRetain, "cuDevicePrimaryCtxRetain", device);
        makeCurrent();
        this.stream = drv.createHandle(drv.streamCreate, "cuStreamCreate", CudaDriver.STREAM_NON_BLOCKING);
        this.current = stream;
        this.timerStart = drv.createHandle(drv.eventCreate, "cuEventCreate", CudaDriver.EVENT_DEFAULT);
        this.timerEnd = drv.createHandle(drv.eventCreate, "cuEventCreate", CudaDriver.EVENT_DEFAULT);
    }

    /** Opens CUDA device {@code ordinal}; fails clearly without a driver or with a bad ordinal. */
    public static CudaDevice open(int ordinal) {
        CudaDriver drv = CudaDriver.get();
        checkOrdinal(drv, ordinal);
        return new CudaDevice(drv, ordinal);
    }

    /** Checks that CUDA device {@code ordinal} exists without opening it (what {@link #open} checks first). */
    public static void check(int ordinal) {
        checkOrdinal(CudaDriver.get(), ordinal);
    }

    private static void checkOrdinal(CudaDriver drv, int ordinal) {
        int count = drv.deviceCount();
        if (count == 0) throw new DeviceUnavailableException("CUDA: the driver is installed but reports no GPU");
        if (ordinal < 0 || ordinal >= count) {
            throw new IllegalArgumentException("no CUDA device " + ordinal + ": this machine has " + count + " (0.." + (count - 1) + ")");
        }
    }

    private void makeCurrent() {
        int r;
        try {
            r = (int) drv.ctxSetCurrent.invokeExact(context);
        } catch (Throwable t) {
            throw new IllegalStateException("cuCtxSetCurrent could not be called: " + t, t);
        }
        drv.check(r, "cuCtxSetCurrent", context);
    }

    /** Every public entry: open, and this thread's current context is ours. */
    private void enter() {
        if (closed) throw new IllegalStateException(name + " is closed");
        makeCurrent();
    }

    @Override public Backend backend() { return Backend.CUDA; }
    @Override public String name() { return name; }
    @Override public String toString() { return name; }

    @Override
    public DeviceCapabilities capabilities() {
        return DeviceCapabilities.cuda(ccMajor, ccMinor, maxSharedOptIn, maxThreadsPerBlock, smCount);
    }

    public int ordinal() { return ordinal; }
    public int computeCapabilityMajor() { return ccMajor; }
    public int computeCapabilityMinor() { return ccMinor; }
    public int multiprocessorCount() { return smCount; }
    public int maxThreadsPerBlock() { return maxThreadsPerBlock; }
    /** The most shared memory one block may use after opting in (227 KiB on H100). */
    public int maxSharedMemoryPerBlockOptIn() { return maxSharedOptIn; }
    public long totalMemoryBytes() { return totalMemory; }

    /** The PTX target for this GPU: sm_XY from its compute capability (sm_90 on H100). */
    public Target target() { return Target.forDevice(ccMajor, ccMinor); }

    // --- memory --------------------------------------------------------------------------------

    @Override
    public <A extends DeviceArray> A alloc(Class<A> type, long length) {
        enter();
        long bytes = ArrayTypes.byteSize(type, length);
        long physical = Math.max(bytes, 1);
        long ptr;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_LONG);
            int r = drv.invoke(drv.memAlloc, out, physical);
            if (r == CudaDriver.CUDA_ERROR_OUT_OF_MEMORY) throw outOfMemory(bytes, drv.error(r, "cuMemAlloc_v2", "&ptr", physical));
            drv.check(r, "cuMemAlloc_v2", "&ptr", physical);
            ptr = out.get(JAVA_LONG, 0);
        }
        // zero-fill in stream order: later copies and launches on the stream see zeros (and, inside
        // a second queue's run, that queue's later work too)
        try {
            drv.check(drv.invoke(drv.memsetD8Async, ptr, (byte) 0, physical, stream), "cuMemsetD8Async", ptr, 0, physical, stream);
            if (current != stream) waitOn(current, stream, allocFence);
        } catch (RuntimeException e) {
            drv.invoke(drv.memFree, ptr);
            throw e;
        }
        CudaBuffer b = new CudaBuffer(this, ptr, bytes);
        live.add(b);
        memory.allocated(bytes);
        return ArrayTypes.wrap(type, b);
    }

    private DeviceMemoryException outOfMemory(long asked, CudaException cause) {
        String free = "unknown", total = DeviceMemoryException.bytes(totalMemory);
        try {
            long[] info = drv.memInfo();
            free = DeviceMemoryException.bytes(info[0]);
            total = DeviceMemoryException.bytes(info[1]);
        } catch (RuntimeException ignored) {
            // the numbers we have are still worth reporting
        }
        return new DeviceMemoryException(name + ": out of device memory: asked " + DeviceMemoryException.bytes(asked)
                + ", free " + free + " of total " + total + "; allocated through this device "
                + DeviceMemoryException.bytes(memory.allocatedBytes()) + " in " + memory.liveBuffers()
                + " buffers (peak " + DeviceMemoryException.bytes(memory.peakBytes()) + ")", cause);
    }

    void release(CudaBuffer b, long ptr) {
        if (!live.remove(b)) return;
        memory.freed(b.byteSize());
        if (closed) return;
        makeCurrent();
        // cuMemFree synchronises with outstanding work on the buffer
        drv.check(drv.invoke(drv.memFree, ptr), "cuMemFree_v2", ptr);
    }

    /**
     * A host array in page-locked memory: host↔device copies through it run at full bus speed.
     * It is plain host memory to every other API; close it to free it.
     */
    public <A extends DeviceArray> A allocPinned(Class<A> type, long length) {
        enter();
        long bytes = ArrayTypes.byteSize(type, length);
        MemorySegment p;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            int r = drv.invoke(drv.memHostAlloc, out, Math.max(bytes, 1), CudaDriver.MEMHOSTALLOC_PORTABLE);
            if (r != 0) {
                throw new DeviceMemoryException(name + ": cannot pin " + DeviceMemoryException.bytes(bytes)
                        + " of host memory (" + pinnedBytes.get() + " bytes pinned already): "
                        + drv.error(r, "cuMemHostAlloc", "&p", bytes, CudaDriver.MEMHOSTALLOC_PORTABLE).getMessage());
            }
            p = out.get(ADDRESS, 0).reinterpret(bytes);
        }
        p.fill((byte) 0);
        PinnedBuffer b = new PinnedBuffer(this, p);
        livePinned.add(b);
        pinnedBytes.addAndGet(bytes);
        return ArrayTypes.wrap(type, b);
    }

    void releasePinned(PinnedBuffer b, MemorySegment p) {
        if (!livePinned.remove(b)) return;
        pinnedBytes.addAndGet(-b.byteSize());
        if (closed) return;
        makeCurrent();
        drv.check(drv.invoke(drv.memFreeHost, p), "cuMemFreeHost", p);
    }

    /** Bytes of pinned host memory allocated through this device and not yet freed. */
    public long pinnedBytes() { return pinnedBytes.get(); }

    @Override
    public void copy(DeviceArray dst, long dstIndex, DeviceArray src, long srcIndex, long count) {
        copyAsync(dst, dstIndex, src, srcIndex, count);
        syncStream("copy of " + count + " elements from " + src + " to " + dst);
    }

    /**
     * Device→device copies and copies from pageable host memory return without waiting (the
     * driver has taken the pageable source by then); a pinned host source is waited for, since
     * the DMA reads it later; a host destination is the synchronous {@link #copy}.
     */
    @Override
    public void enqueueCopy(DeviceArray dst, long dstIndex, DeviceArray src, long srcIndex, long count) {
        Side[] sides = CopyChecks.check(this, dst, dstIndex, src, srcIndex, count);
        boolean toDevice = sides[0] == Side.DEVICE;
        boolean fromPinned = src.buffer() instanceof PinnedBuffer;
        if (!toDevice || (sides[1] == Side.HOST && fromPinned)) {
            copy(dst, dstIndex, src, srcIndex, count);
        } else {
            copyAsync(dst, dstIndex, src, srcIndex, count);
        }
    }

    /**
     * Enqueues the copy on the device's stream and returns; the host side must stay untouched
     * until {@link #synchronize()}. With pageable host memory the driver may wait anyway; with
     * {@link #allocPinned pinned} memory the copy overlaps the caller.
     */
    public void copyAsync(DeviceArray dst, long dstIndex, DeviceArray src, long srcIndex, long count) {
        enter();
        Side[] sides = CopyChecks.check(this, dst, dstIndex, src, srcIndex, count);
        long eb = dst.elementBytes();
        long bytes = count * eb, dstOff = dstIndex * eb, srcOff = srcIndex * eb;
        if (bytes == 0) return;
        Side d = sides[0], s = sides[1];
        if (d == Side.HOST && s == Side.HOST) {
            syncStream("host copy");
            MemorySegment.copy(src.segment(), srcOff, dst.segment(), dstOff, bytes);
        } else if (d == Side.DEVICE && s == Side.HOST) {
            long to = ptr(dst) + dstOff;
            MemorySegment from = src.segment().asSlice(srcOff, bytes);
            drv.check(drv.invoke(drv.memcpyHtoDAsync, to, from, bytes, current), "cuMemcpyHtoDAsync_v2", to, from, bytes, current);
        } else if (d == Side.HOST) {
            MemorySegment to = dst.segment().asSlice(dstOff, bytes);
            long from = ptr(src) + srcOff;
            drv.check(drv.invoke(drv.memcpyDtoHAsync, to, from, bytes, current), "cuMemcpyDtoHAsync_v2", to, from, bytes, current);
        } else {
            long to = ptr(dst) + dstOff, from = ptr(src) + srcOff;
            drv.check(drv.invoke(drv.memcpyDtoDAsync, to, from, bytes, current), "cuMemcpyDtoDAsync_v2", to, from, bytes, current);
        }
    }

    private static long ptr(DeviceArray a) { return ((CudaBuffer) a.buffer()).pointer(); }

    @Override
    public MemoryStats memory() {
        enter();
        long[] info = drv.memInfo();
        return new MemoryStats(memory.allocatedBytes(), memory.peakBytes(), info[0], info[1]);
    }

    /** Device buffers allocated here and not yet freed. */
    public long liveBuffers() { return memory.liveBuffers(); }

    // --- kernels -------------------------------------------------------------------------------

    @Override
    public void launch(Kernel kernel, Grid grid, Object... args) {
        enter();
        LaunchArguments.check(kernel, grid, args, this, false);
        long t0 = System.nanoTime();
        CompiledKernel ck = KernelCompiler.compile(kernel, target(), args);
        launchPrepared(ck, kernel.qualifiedName(), grid, System.nanoTime() - t0, KernelParams.select(ck, args));
    }

    /**
     * Launches PTX that did not come from a Java method (hand-written kernels, tests):
     * {@code values} follow {@code ck.params()} exactly.
     */
    public void launchCompiled(CompiledKernel ck, String displayName, Grid grid, Object... values) {
        launchPrepared(ck, displayName, grid, 0, values);
    }

    /** {@code compileNanos}: what compiling ck took, booked as preparation if its module is new here. */
    private void launchPrepared(CompiledKernel ck, String displayName, Grid grid, long compileNanos, Object[] values) {
        enter();
        KernelParams.checkLaunch(ck, Target.Kind.PTX, displayName, grid, values, this);
        int threads = grid.workItemsPerGroup();
        if (threads > maxThreadsPerBlock) {
            throw new KernelLaunchException(displayName + ": " + grid + " asks " + threads + " work-items per group; "
                    + name + " allows " + maxThreadsPerBlock);
        }
        LoadedKernel k = modules.get(ck.cacheKey());
        if (k == null) {
            long t0 = System.nanoTime();
            k = load(ck, displayName);
            preparationNanos.addAndGet(compileNanos + System.nanoTime() - t0);
        }
        if (values.length > LaunchScratch.MAX_PARAMS) {
            throw new KernelLaunchException(displayName + " takes " + values.length + " parameters; at most "
                    + LaunchScratch.MAX_PARAMS + " are supported");
        }
        LaunchScratch scratch = LaunchScratch.forThisThread();
        int maps = 0;
        for (int i = 0; i < values.length; i++) {
            ParamKind kind = ck.params().get(i).kind();
            if (kind == ParamKind.TENSOR_MAP) {
                if (maps == LaunchScratch.MAX_MAPS) {
                    throw new KernelLaunchException(displayName + " takes more than " + LaunchScratch.MAX_MAPS + " tensor maps");
                }
                scratch.encoder.encode(drv, (TensorMap) values[i], scratch.pointToMap(i, maps++), displayName);
            } else {
                KernelParams.write(scratch.pointToValue(i), 0, kind, values[i]);
            }
        }
        int r;
        try {
            r = (int) drv.launchKernel.invokeExact(k.function(), grid.groupCount(0), grid.groupCount(1), grid.groupCount(2),
                    grid.localSize(0), grid.localSize(1), grid.localSize(2), k.dynamicSharedBytes(), current,
                    scratch.pointers, MemorySegment.NULL);
        } catch (Throwable t) {
            throw new KernelLaunchException("cuLaunchKernel could not be called for " + displayName + ": " + t, t);
        }
        if (r != 0) {
            throw new KernelLaunchException("launching " + displayName + " over " + grid + " (dynamic shared "
                    + k.dynamicSharedBytes() + " bytes) failed: " + drv.error(r, "cuLaunchKernel", k.function(),
                    grid.groupCount(0), grid.groupCount(1), grid.groupCount(2), grid.localSize(0), grid.localSize(1),
                    grid.localSize(2), k.dynamicSharedBytes(), current, "params", "NULL").getMessage()
                    + "; kernels launched before: " + recentKernels());
        }
        synchronized (recent) {
            if (recent.size() == RECENT_KERNELS) recent.removeFirst();
            recent.addLast(displayName + " " + grid);
        }
    }

    /**
     * Per-thread native memory for cuLaunchKernel's kernelParams: an array of pointers, each to an
     * 8-byte value slot. cuLaunchKernel copies the values during the call, so the slots are reused
     * by the thread's next launch and no memory is allocated per launch.
     */
    private static final class LaunchScratch {
        static final int MAX_PARAMS = 128;
        /** Tensor maps (128 bytes each, passed by value) one launch may take. */
        static final int MAX_MAPS = 8;
        private static final ThreadLocal<LaunchScratch> PER_THREAD = ThreadLocal.withInitial(LaunchScratch::new);
        final MemorySegment pointers;
        private final MemorySegment[] valueSlots = new MemorySegment[MAX_PARAMS];
        private final MemorySegment[] mapSlots = new MemorySegment[MAX_MAPS];
        /** Which parameter slots point at a map slot since an earlier launch. */
        private final boolean[] pointsToMap = new boolean[MAX_PARAMS];
        final TensorMapEncoder encoder;

        private LaunchScratch() {
            Arena arena = Arena.ofAuto();   // freed with the thread's scratch
            MemorySegment values = arena.allocate(8L * MAX_PARAMS, 8);
            MemorySegment maps = arena.allocate((long) TensorMapEncoder.BYTES * MAX_MAPS, TensorMapEncoder.ALIGNMENT);
            pointers = arena.allocate(ADDRESS, MAX_PARAMS);
            for (int i = 0; i < MAX_PARAMS; i++) {
                valueSlots[i] = values.asSlice(8L * i, 8);
                pointers.setAtIndex(ADDRESS, i, valueSlots[i]);
            }
            for (int m = 0; m < MAX_MAPS; m++) mapSlots[m] = maps.asSlice((long) TensorMapEncoder.BYTES * m, TensorMapEncoder.BYTES);
            encoder = new TensorMapEncoder(arena);
        }

        /** Parameter i is an 8-byte value: its slot. */
        MemorySegment pointToValue(int i) {
            if (pointsToMap[i]) {
                pointers.setAtIndex(ADDRESS, i, valueSlots[i]);
                pointsToMap[i] = false;
            }
            return valueSlots[i];
        }

        /** Parameter i is the launch's m-th tensor map: its 128-byte slot. */
        MemorySegment pointToMap(int i, int m) {
            pointers.setAtIndex(ADDRESS, i, mapSlots[m]);
            pointsToMap[i] = true;
            return mapSlots[m];
        }

        static LaunchScratch forThisThread() { return PER_THREAD.get(); }
    }

    /** Loads (once per cache key) the PTX module of {@code ck} and returns its function. */
    private LoadedKernel load(CompiledKernel ck, String displayName) {
        return modules.computeIfAbsent(ck.cacheKey(), key -> loadModule(ck, displayName));
    }

    /**
     * Loads the kernel's module now (PTX JIT by the driver) and returns the JIT's wall time in
     * milliseconds; a later launch of the same cache key does no further work.
     */
    public float prepare(CompiledKernel ck, String displayName) {
        enter();
        return load(ck, displayName).jitMillis();
    }

    private LoadedKernel loadModule(CompiledKernel ck, String displayName) {
        // Kernels declaring `.extern .shared` get their shared memory at launch (dynamic, which
        // is the only way past 48 KiB); static `.shared` declarations need nothing at launch.
        int dynamicShared = ck.source().contains(".extern .shared") ? ck.sharedBytes() : 0;
        if (ck.sharedBytes() > maxSharedOptIn) {
            throw new KernelLaunchException(displayName + " needs " + ck.sharedBytes() + " bytes of shared memory; "
                    + name + " allows at most " + maxSharedOptIn + " per block");
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment image = a.allocateFrom(ck.source());
            MemorySegment info = a.allocate(LOG_BYTES), err = a.allocate(LOG_BYTES);
            int[] opts = {CudaDriver.JIT_INFO_LOG_BUFFER, CudaDriver.JIT_INFO_LOG_BUFFER_SIZE, CudaDriver.JIT_ERROR_LOG_BUFFER,
                    CudaDriver.JIT_ERROR_LOG_BUFFER_SIZE, CudaDriver.JIT_LOG_VERBOSE, CudaDriver.JIT_WALL_TIME};
            MemorySegment options = a.allocateFrom(JAVA_INT, opts);
            // option values are void*: pointers, or integers stored in the pointer's bits
            MemorySegment values = a.allocate(JAVA_LONG, opts.length);
            values.setAtIndex(JAVA_LONG, 0, info.address());
            values.setAtIndex(JAVA_LONG, 1, LOG_BYTES);
            values.setAtIndex(JAVA_LONG, 2, err.address());
            values.setAtIndex(JAVA_LONG, 3, LOG_BYTES);
            values.setAtIndex(JAVA_LONG, 4, 1);
            values.setAtIndex(JAVA_LONG, 5, 0);
            MemorySegment out = a.allocate(ADDRESS);
            int r = drv.invoke(drv.moduleLoadDataEx, out, image, opts.length, options, values);
            if (r != 0) {
                String log = err.getString(0).strip();
                String infoLog = info.getString(0).strip();
                throw new KernelBuildException("loading the PTX of " + displayName + " (entry " + ck.entryName() + ", "
                        + ck.target() + ") on " + name + " failed: " + drv.error(r, "cuModuleLoadDataEx", "&module", "ptx",
                        opts.length, "options", "values").getMessage(),
                        log + (infoLog.isEmpty() ? "" : "\n--- info log ---\n" + infoLog),
                        KernelBuildException.dump("apbj-" + ck.entryName() + "-", ".ptx", ck.source()));
            }
            float jitMillis = values.get(JAVA_FLOAT, 5L * 8);
            MemorySegment module = out.get(ADDRESS, 0);
            MemorySegment function;
            try {
                function = drv.createHandle(drv.moduleGetFunction, "cuModuleGetFunction", module, a.allocateFrom(ck.entryName()));
                if (dynamicShared > STATIC_SHARED_LIMIT) {
                    drv.check(drv.invoke(drv.funcSetAttribute, function, CudaDriver.FUNC_ATTR_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                            dynamicShared), "cuFuncSetAttribute", function, "MAX_DYNAMIC_SHARED_SIZE_BYTES", dynamicShared);
                }
            } catch (RuntimeException e) {
                drv.invoke(drv.moduleUnload, module);
                throw new KernelBuildException("PTX module of " + displayName + " loaded but its entry '" + ck.entryName()
                        + "' is unusable: " + e.getMessage(), "", KernelBuildException.dump("apbj-" + ck.entryName() + "-", ".ptx", ck.source()));
            }
            return new LoadedKernel(module, function, ck, dynamicShared, info.getString(0).strip(), jitMillis);
        }
    }

    /** Number of PTX modules loaded and cached on this device. */
    public int cachedModules() { return modules.size(); }

    @Override
    public void synchronize() {
        enter();
        syncStream("synchronize");
    }

    /** Time spent compiling kernels and loading their modules on this device. */
    @Override
    public long preparationNanos() { return preparationNanos.get(); }

    /** How many times the host has waited for this device's stream (synchronize, synchronous copies). */
    public long streamSynchronizations() { return streamSyncs.get(); }

    /** Waits for the main stream and, inside a second queue's run, for that queue's stream too. */
    private void syncStream(String what) {
        if (current != stream) syncStream(what, current);
        syncStream(what, stream);
    }

    private void syncStream(String what, MemorySegment s) {
        streamSyncs.incrementAndGet();
        int r = drv.invoke(drv.streamSynchronize, s);
        if (r != 0) {
            throw new KernelLaunchException(name + ": " + what + ": the stream reported "
                    + drv.error(r, "cuStreamSynchronize", s).getMessage()
                    + "; kernels launched last (oldest first): " + recentKernels()
                    + (r == 700 || r == 719 ? " — the context is now unusable; restart the process" : ""));
        }
    }

    private String recentKernels() {
        synchronized (recent) {
            return recent.isEmpty() ? "none" : String.join(", ", recent);
        }
    }

    /** Records a pooled CUDA event on the stream; nothing waits. */
    @Override
    public Marker mark() {
        enter();
        MemorySegment event = freeEvents.poll();
        if (event == null) {
            event = drv.createHandle(drv.eventCreate, "cuEventCreate", CudaDriver.EVENT_DEFAULT);
            markerEvents.add(event.address());
        }
        drv.check(drv.invoke(drv.eventRecord, event, current), "cuEventRecord", event, current);
        return new EventMarker(event);
    }

    /** A recorded event; closing it returns the event to the pool. */
    private final class EventMarker implements Marker {
        private MemorySegment event;

        EventMarker(MemorySegment event) { this.event = event; }

        @Override
        public long nanosUntil(Marker later) {
            if (!(later instanceof EventMarker m) || m.device() != CudaDevice.this) {
                throw new IllegalArgumentException("marks of " + name + " can only be compared with each other, not with " + later);
            }
            if (event == null || m.event == null) throw new IllegalStateException("marker of " + name + " is closed");
            enter();
            int r = drv.invoke(drv.eventSynchronize, m.event);
            if (r != 0) {
                throw new KernelLaunchException(name + ": work before a mark failed: "
                        + drv.error(r, "cuEventSynchronize", m.event).getMessage() + "; kernels launched last: " + recentKernels());
            }
            return Math.round(drv.elapsedMillis(event, m.event) * 1e6);
        }

        private CudaDevice device() { return CudaDevice.this; }

        @Override
        public void close() {
            if (event == null) return;
            if (!closed) freeEvents.push(event);
            event = null;
        }

        @Override
        public String toString() { return "CUDA event mark on " + name; }
    }

    /**
     * Times GPU work with CUDA events: records an event, runs {@code work} (which enqueues on
     * this device), records another, waits for it and returns the milliseconds between them.
     */
    public synchronized float timeMillis(Runnable work) {
        enter();
        drv.check(drv.invoke(drv.eventRecord, timerStart, current), "cuEventRecord", timerStart, current);
        work.run();
        makeCurrent();
        drv.check(drv.invoke(drv.eventRecord, timerEnd, current), "cuEventRecord", timerEnd, current);
        int r = drv.invoke(drv.eventSynchronize, timerEnd);
        if (r != 0) {
            throw new KernelLaunchException(name + ": timed work failed: " + drv.error(r, "cuEventSynchronize", timerEnd).getMessage()
                    + "; kernels launched last: " + recentKernels());
        }
        return drv.elapsedMillis(timerStart, timerEnd);
    }

    // --- graphs ---------------------------------------------------------------------------------

    @Override
    public boolean capturesGraphs() { return drv.hasGraphs(); }

    /**
     * Captures what {@code work} enqueues on this device's stream into a CUDA graph
     * (cuStreamBeginCapture_v2 in thread-local mode, cuStreamEndCapture, cuGraphInstantiateWithFlags)
     * without running it. Work that waits for the stream, allocates, or copies host memory fails
     * the capture (the driver's error, with the capture ended and discarded). Thread-local mode:
     * other threads using the device meanwhile are not affected, but their work must not go to
     * this stream during the capture (one caller drives a device at a time, as everywhere).
     */
    @Override
    public synchronized Replayable capture(Runnable work) {
        enter();
        if (!drv.hasGraphs()) {
            throw new UnsupportedOperationException(name + ": the CUDA driver (version " + drv.driverVersion()
                    + ") has no cuStreamBeginCapture_v2 / cuGraphInstantiateWithFlags: update the driver, or turn graphs off");
        }
        if (current != stream) throw new IllegalStateException(name + ": capture inside a second queue's run: capture on the main stream");
        drv.check(drv.invoke(drv.streamBeginCapture, stream, CudaDriver.CAPTURE_MODE_THREAD_LOCAL),
                "cuStreamBeginCapture_v2", stream, "THREAD_LOCAL");
        MemorySegment graph;
        try {
            work.run();
        } catch (RuntimeException | Error e) {
            MemorySegment discarded = endCapture();
            if (discarded.address() != 0) drv.invoke(drv.graphDestroy, discarded);
            throw e;
        } finally {
            makeCurrent();
        }
        graph = endCapture();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            int r = drv.invoke(drv.graphInstantiate, out, graph, 0L);
            if (r != 0) throw drv.error(r, "cuGraphInstantiateWithFlags", "&exec", graph, 0);
            return new CudaGraph(out.get(ADDRESS, 0));
        } finally {
            drv.invoke(drv.graphDestroy, graph);   // the executable graph does not need it
        }
    }

    /** Ends the capture; a capture that failed on the way (an illegal call in it) is reported here. */
    private MemorySegment endCapture() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            int r = drv.invoke(drv.streamEndCapture, stream, out);
            MemorySegment graph = out.get(ADDRESS, 0);
            if (r != 0) {
                if (graph.address() != 0) drv.invoke(drv.graphDestroy, graph);
                throw new KernelLaunchException(name + ": stream capture failed: " + drv.error(r, "cuStreamEndCapture",
                        stream, "&graph").getMessage() + " (the captured work waited for the device, allocated, or"
                        + " copied host memory; kernels launched last: " + recentKernels() + ")");
            }
            return graph;
        }
    }

    /** An instantiated graph; replays go to this device's stream. */
    private final class CudaGraph implements Replayable {
        private MemorySegment exec;

        CudaGraph(MemorySegment exec) { this.exec = exec; }

        @Override
        public void replay() {
            if (exec == null) throw new IllegalStateException("this graph of " + name + " is closed");
            enter();
            int r = drv.invoke(drv.graphLaunch, exec, stream);
            if (r != 0) {
                throw new KernelLaunchException(name + ": " + drv.error(r, "cuGraphLaunch", exec, stream).getMessage()
                        + "; kernels launched last: " + recentKernels());
            }
        }

        @Override public boolean isGraph() { return true; }

        @Override
        public void close() {
            if (exec == null) return;
            if (!closed) {
                makeCurrent();
                drv.invoke(drv.graphExecDestroy, exec);
            }
            exec = null;
        }
    }

    /** The driver's JIT info log of a loaded kernel (registers, spills), or null if not loaded here. */
    public String jitInfoLog(CompiledKernel ck) {
        LoadedKernel k = modules.get(ck.cacheKey());
        return k == null ? null : k.jitInfoLog();
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        makeCurrent();
        RuntimeException pending = null;
        try {
            syncStream("close");
        } catch (RuntimeException e) {
            pending = e;   // still free everything
        }
        for (CudaBuffer b : List.copyOf(live)) b.close();
        for (PinnedBuffer b : List.copyOf(livePinned)) b.close();
        for (LoadedKernel k : modules.values()) drv.invoke(drv.moduleUnload, k.module());
        modules.clear();
        for (long e : markerEvents) drv.invoke(drv.eventDestroy, MemorySegment.ofAddress(e));
        markerEvents.clear();
        freeEvents.clear();
        drv.invoke(drv.eventDestroy, timerStart);
        drv.invoke(drv.eventDestroy, timerEnd);
        if (allocFence != null) drv.invoke(drv.eventDestroy, allocFence);
        drv.invoke(drv.streamDestroy, stream);
        closed = true;
        drv.invoke(drv.primaryCtxRelease, device);
        if (pending != null) throw pending;
    }

    // --- for CudaCopyQueue (device-aware collectives): the handles a second stream needs ------

    /** This device's primary context, made current on the calling thread. */
    MemorySegment enterContext() {
        enter();
        return context;
    }

    /** The stream launches and copies of this device go to now: the main stream, or a second queue's inside its run. */
    MemorySegment currentStream() { return current; }

    /** A new non-blocking stream of the context's greatest priority (destroyed by its owner). */
    MemorySegment createPriorityStream() {
        enter();
        int greatest = drv.streamPriorityRange()[1];
        return drv.createHandle(drv.streamCreateWithPriority, "cuStreamCreateWithPriority", CudaDriver.STREAM_NON_BLOCKING, greatest);
    }

    /** Later work of {@code waiter} waits for the work {@code on} holds now, through {@code event} (re-recorded each time). */
    private void waitOn(MemorySegment waiter, MemorySegment on, MemorySegment event) {
        drv.check(drv.invoke(drv.eventRecord, event, on), "cuEventRecord", event, on);
        drv.check(drv.invoke(drv.streamWaitEvent, waiter, event, 0), "cuStreamWaitEvent", waiter, event, 0);
    }

    // --- a second queue: a stream of the greatest priority -----------------------------------------

    /**
     * A second queue on a stream of the context's greatest priority ({@link SecondQueue}): its
     * kernels and copies run beside the main stream's and are scheduled ahead of other streams'
     * (of this device and of other ranks that share the GPU).
     */
    @Override
    public synchronized SecondQueue openSecondQueue() {
        enter();
        if (allocFence == null) allocFence = drv.createHandle(drv.eventCreate, "cuEventCreate", EVENT_NO_TIMING);
        return new PriorityQueue();
    }

    private static final int EVENT_NO_TIMING = 2;

    private final class PriorityQueue implements SecondQueue {
        private final MemorySegment second;
        private final MemorySegment toSecond, toMain;
        private boolean open = true;

        PriorityQueue() {
            second = createPriorityStream();
            toSecond = drv.createHandle(drv.eventCreate, "cuEventCreate", EVENT_NO_TIMING);
            toMain = drv.createHandle(drv.eventCreate, "cuEventCreate", EVENT_NO_TIMING);
        }

        private void requireOpen() {
            if (!open) throw new IllegalStateException("the second queue of " + name + " is closed");
            enter();
        }

        @Override
        public void run(Runnable body) {
            requireOpen();
            if (current != stream) throw new IllegalStateException(name + ": a second queue's run inside another's: not nested");
            current = second;
            try {
                body.run();
            } finally {
                current = stream;
            }
        }

        @Override public void afterMain() { requireOpen(); waitOn(second, stream, toSecond); }
        @Override public void mainAfter() { requireOpen(); waitOn(stream, second, toMain); }
        @Override public boolean concurrent() { return true; }

        /** The priority its stream was created with (numerically smaller is scheduled first). */
        int priority() {
            requireOpen();
            return drv.streamPriority(second);
        }

        /** Waits for its work, then frees its stream and events. */
        @Override
        public void close() {
            if (!open || closed) return;
            open = false;
            makeCurrent();
            try {
                syncStream("closing a second queue", second);
            } finally {
                drv.invoke(drv.eventDestroy, toSecond);
                drv.invoke(drv.eventDestroy, toMain);
                drv.invoke(drv.streamDestroy, second);
            }
        }

        private CudaDevice owner() { return CudaDevice.this; }

        @Override public String toString() { return "second queue (greatest priority) of " + name; }
    }

    /** The stream priority of {@code q}, a second queue of this device; for tests. */
    public int secondQueuePriority(SecondQueue q) {
        if (!(q instanceof PriorityQueue p) || p.owner() != this) throw new IllegalArgumentException(q + " is not a second queue of " + name);
        return p.priority();
    }

    /** The context's stream priorities {least, greatest} (greatest numerically smallest); for tests. */
    public int[] streamPriorityRange() {
        enter();
        return drv.streamPriorityRange();
    }

    /** The CUdeviceptr of an array allocated on a CUDA device. */
    static long devicePointer(DeviceArray a) {
        if (!(a.buffer() instanceof CudaBuffer b)) throw new IllegalArgumentException(a + " is not CUDA device memory");
        return b.pointer();
    }

    /** Whether {@code a} is device memory allocated through this device. */
    boolean owns(DeviceArray a) { return a.buffer() instanceof CudaBuffer b && b.owner() == this; }

    CudaDriver driver() { return drv; }

    int cuDevice() { return device; }
}
