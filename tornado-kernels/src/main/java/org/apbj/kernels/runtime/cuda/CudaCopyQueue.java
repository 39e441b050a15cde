package org.apbj.kernels.runtime.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

import org.apbj.kernels.api.DeviceArray;
import org.apbj.kernels.runtime.DeviceUnavailableException;
import org.apbj.kernels.runtime.NativeLibrary;

/**
 * A second stream on a {@link CudaDevice} for communication, so that copies between ranks run
 * while the device's own stream computes, and the CUDA calls collectives need beyond running
 * kernels: events (also interprocess ones) that one stream records and another waits for, peer
 * copies between GPUs, and CUDA IPC (memory and event handles that another process opens).
 *
 * <p>Handles are plain numbers (event handles, device pointers, context handles) so that ranks
 * which are threads of one JVM can hand them to each other even when each loaded this class
 * through its own class loader (MPJ Express multicore does that).
 */
public final class CudaCopyQueue implements AutoCloseable {
    public static final int IPC_HANDLE_BYTES = 64;
    static final int EVENT_DISABLE_TIMING = 2, EVENT_INTERPROCESS = 4;
    static final int IPC_MEM_LAZY_ENABLE_PEER_ACCESS = 1;
    static final int CUDA_ERROR_NOT_READY = 600, PEER_ACCESS_ALREADY_ENABLED = 704, PEER_ACCESS_UNSUPPORTED = 217;
    private static final MemoryLayout IPC_HANDLE = MemoryLayout.structLayout(MemoryLayout.sequenceLayout(IPC_HANDLE_BYTES, JAVA_BYTE));

    /** The driver functions only communication needs, looked up once. */
    private record Calls(MethodHandle eventQuery, MethodHandle memcpyPeerAsync,
                         MethodHandle ctxEnablePeerAccess, MethodHandle ipcGetMemHandle, MethodHandle ipcOpenMemHandle,
                         MethodHandle ipcCloseMemHandle, MethodHandle ipcGetEventHandle, MethodHandle ipcOpenEventHandle) {
        static Calls load() {
            NativeLibrary lib = NativeLibrary.open(CudaDriver.LIBRARY).orElseThrow(() ->
                    new DeviceUnavailableException("CUDA unavailable: cannot load " + CudaDriver.LIBRARY));
            var P = ADDRESS;
            var I = JAVA_INT;
            var L = JAVA_LONG;
            return new Calls(
                    lib.function("cuEventQuery", FunctionDescriptor.of(I, P)),
                    lib.function("cuMemcpyPeerAsync", FunctionDescriptor.of(I, L, P, L, P, L, P)),
                    lib.function("cuCtxEnablePeerAccess", FunctionDescriptor.of(I, P, I)),
                    lib.function("cuIpcGetMemHandle", FunctionDescriptor.of(I, P, L)),
                    // CUDA 11+ headers map cuIpcOpenMemHandle to _v2 (same signature)
                    lib.function(lib.has("cuIpcOpenMemHandle_v2") ? "cuIpcOpenMemHandle_v2" : "cuIpcOpenMemHandle",
                            FunctionDescriptor.of(I, P, IPC_HANDLE, I)),
                    lib.function("cuIpcCloseMemHandle", FunctionDescriptor.of(I, L)),
                    lib.function("cuIpcGetEventHandle", FunctionDescriptor.of(I, P, P)),
                    lib.function("cuIpcOpenEventHandle", FunctionDescriptor.of(I, P, IPC_HANDLE)));
        }
    }

    private static volatile Calls calls;

    private static Calls calls() {
        Calls c = calls;
        if (c == null) {
            synchronized (CudaCopyQueue.class) {
                if (calls == null) calls = Calls.load();
                c = calls;
            }
        }
        return c;
    }

    private final CudaDevice device;
    private final CudaDriver drv;
    private final Calls fn;
    private final MemorySegment side;
    private final Set<Long> events = ConcurrentHashMap.newKeySet();
    private final Set<Long> openedMemory = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private CudaCopyQueue(CudaDevice device, boolean highPriority) {
        this.device = device;
        this.drv = device.driver();
        this.fn = calls();
        device.enterContext();
        this.side = highPriority ? device.createPriorityStream()
                : drv.createHandle(drv.streamCreate, "cuStreamCreate", CudaDriver.STREAM_NON_BLOCKING);
    }

    /** A communication stream on {@code device}; close it before the device. */
    public static CudaCopyQueue open(CudaDevice device) { return new CudaCopyQueue(device, false); }

    /**
     * As {@link #open}, with {@code highPriority} a stream of the context's greatest priority: its
     * copies are scheduled ahead of other streams' kernels (ranks that share a GPU).
     */
    public static CudaCopyQueue open(CudaDevice device, boolean highPriority) { return new CudaCopyQueue(device, highPriority); }

    /** The priority of the communication stream (numerically smaller is scheduled first). */
    public int priority() {
        enter();
        return drv.streamPriority(side);
    }

    public CudaDevice device() { return device; }

    public int ordinal() { return device.ordinal(); }

    /** The device's primary context (a CUcontext), for peer copies. */
    public long context() { return device.enterContext().address(); }

    /** The CUdeviceptr of {@code a}, device memory of this queue's device. */
    public long pointer(DeviceArray a) {
        if (!device.owns(a)) throw new IllegalArgumentException(a + " is not device memory of " + device.name());
        return CudaDevice.devicePointer(a);
    }

    private void enter() {
        if (closed) throw new IllegalStateException("the copy queue of " + device.name() + " is closed");
        device.enterContext();
    }

    private void call(MethodHandle f, String name, Object... args) {
        drv.check(drv.invoke(f, args), name, args);
    }

    private static MemorySegment h(long handle) { return MemorySegment.ofAddress(handle); }

    // --- events --------------------------------------------------------------------------------

    /** A new event without timing; interprocess ones can be opened by other processes. Freed by {@link #close}. */
    public long createEvent(boolean interprocess) {
        enter();
        int flags = EVENT_DISABLE_TIMING | (interprocess ? EVENT_INTERPROCESS : 0);
        long e = drv.createHandle(drv.eventCreate, "cuEventCreate", flags).address();
        events.add(e);
        return e;
    }

    /**
     * Records {@code event} at the current end of the device's compute stream (inside
     * {@link org.apbj.kernels.runtime.SecondQueue#run}: of its second queue, where that work is going).
     */
    public void recordOnMain(long event) {
        enter();
        call(drv.eventRecord, "cuEventRecord", h(event), device.currentStream());
    }

    /** Records {@code event} at the current end of the communication stream. */
    public void recordOnSide(long event) {
        enter();
        call(drv.eventRecord, "cuEventRecord", h(event), side);
    }

    /** Later work on the communication stream waits for {@code event} (of any context or process); the host does not wait. */
    public void sideWaitsFor(long event) {
        enter();
        call(drv.streamWaitEvent, "cuStreamWaitEvent", side, h(event), 0);
    }

    /** Later work on the compute stream (inside a second queue's run: that queue) waits for {@code event}; the host does not wait. */
    public void mainWaitsFor(long event) {
        enter();
        call(drv.streamWaitEvent, "cuStreamWaitEvent", device.currentStream(), h(event), 0);
    }

    /**
     * Waits on the host until the device has passed {@code event}, at most {@code timeoutNanos};
     * returns false on timeout. A fault of the work before it throws.
     */
    public boolean await(long event, long timeoutNanos) {
        enter();
        long deadline = System.nanoTime() + timeoutNanos;
        int spins = 0;
        while (true) {
            int r = drv.invoke(fn.eventQuery(), h(event));
            if (r == 0) return true;
            if (r != CUDA_ERROR_NOT_READY) throw drv.error(r, "cuEventQuery", h(event));
            if (System.nanoTime() - deadline > 0) return false;
            if (++spins < 64) Thread.onSpinWait();
            else LockSupport.parkNanos(20_000);
        }
    }

    // --- copies on the communication stream -----------------------------------------------------

    /** Device-to-device copy in one address space (same GPU, peer-enabled GPUs, IPC-opened memory). */
    public void copyOnSide(long dst, long src, long bytes) {
        enter();
        if (bytes == 0) return;
        call(drv.memcpyDtoDAsync, "cuMemcpyDtoDAsync_v2", dst, src, bytes, side);
    }

    /** Copy from memory of another context (another GPU) into this device's memory. */
    public void peerCopyOnSide(long dst, long src, long srcContext, long bytes) {
        enter();
        if (bytes == 0) return;
        MemorySegment mine = device.enterContext();
        call(fn.memcpyPeerAsync(), "cuMemcpyPeerAsync", dst, mine, src, h(srcContext), bytes, side);
    }

    /** Device → host (the host memory should be pinned, else the driver waits). */
    public void toHostOnSide(MemorySegment dst, long src, long bytes) {
        enter();
        if (bytes == 0) return;
        call(drv.memcpyDtoHAsync, "cuMemcpyDtoHAsync_v2", dst, src, bytes, side);
    }

    /** Host → device (pinned host memory must stay untouched until the copy is done). */
    public void fromHostOnSide(long dst, MemorySegment src, long bytes) {
        enter();
        if (bytes == 0) return;
        call(drv.memcpyHtoDAsync, "cuMemcpyHtoDAsync_v2", dst, src, bytes, side);
    }

    /** Lets this device read {@code peerContext}'s memory directly; false if the GPUs cannot (copies then go through the host). */
    public boolean enablePeerAccess(long peerContext) {
        enter();
        int r = drv.invoke(fn.ctxEnablePeerAccess(), h(peerContext), 0);
        if (r == 0 || r == PEER_ACCESS_ALREADY_ENABLED) return true;
        if (r == PEER_ACCESS_UNSUPPORTED) return false;
        throw drv.error(r, "cuCtxEnablePeerAccess", h(peerContext), 0);
    }

    // --- CUDA IPC ------------------------------------------------------------------------------

    /** The IPC handle of the allocation of {@code a} (which must start at its allocation's base: every array does). */
    public byte[] ipcMemHandle(DeviceArray a) {
        enter();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(IPC_HANDLE);
            long ptr = pointer(a);
            call(fn.ipcGetMemHandle(), "cuIpcGetMemHandle", out, ptr);
            return out.toArray(JAVA_BYTE);
        }
    }

    /** Maps another process's allocation into this context; returns its device pointer here. */
    public long openIpcMemory(byte[] handle) {
        enter();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_LONG);
            MemorySegment hs = handle(arena, handle);
            call(fn.ipcOpenMemHandle(), "cuIpcOpenMemHandle", out, hs, IPC_MEM_LAZY_ENABLE_PEER_ACCESS);
            long ptr = out.get(JAVA_LONG, 0);
            openedMemory.add(ptr);
            return ptr;
        }
    }

    /** Unmaps memory from {@link #openIpcMemory}. */
    public void closeIpcMemory(long ptr) {
        if (!openedMemory.remove(ptr) || closed) return;
        device.enterContext();
        call(fn.ipcCloseMemHandle(), "cuIpcCloseMemHandle", ptr);
    }

    /** The IPC handle of an event made by {@link #createEvent createEvent(true)}. */
    public byte[] ipcEventHandle(long event) {
        enter();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(IPC_HANDLE);
            call(fn.ipcGetEventHandle(), "cuIpcGetEventHandle", out, h(event));
            return out.toArray(JAVA_BYTE);
        }
    }

    /** Opens another process's interprocess event; freed by {@link #close}. */
    public long openIpcEvent(byte[] handle) {
        enter();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment hs = handle(arena, handle);
            long e = drv.createHandle(fn.ipcOpenEventHandle(), "cuIpcOpenEventHandle", hs).address();
            events.add(e);
            return e;
        }
    }

    private static MemorySegment handle(Arena arena, byte[] handle) {
        if (handle.length != IPC_HANDLE_BYTES) {
            throw new IllegalArgumentException("a CUDA IPC handle has " + IPC_HANDLE_BYTES + " bytes, got " + handle.length);
        }
        MemorySegment hs = arena.allocate(IPC_HANDLE);
        MemorySegment.copy(handle, 0, hs, JAVA_BYTE, 0, IPC_HANDLE_BYTES);
        return hs;
    }

    /** Waits for the communication stream, then frees its events, mappings and the stream. */
    @Override
    public synchronized void close() {
        if (closed) return;
        device.enterContext();
        RuntimeException first = null;
        int r = drv.invoke(drv.streamSynchronize, side);
        if (r != 0) first = drv.error(r, "cuStreamSynchronize", side);
        for (long p : openedMemory) drv.invoke(fn.ipcCloseMemHandle(), p);
        openedMemory.clear();
        for (long e : events) drv.invoke(drv.eventDestroy, h(e));
        events.clear();
        drv.invoke(drv.streamDestroy, side);
        closed = true;
        if (first != null) throw first;
    }

    @Override
    public String toString() { return "communication stream of " + device.name(); }
}
