package org.apbj.kernels.runtime.java;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.apbj.kernels.api.DeviceArray;
import org.apbj.kernels.api.Kernel;
import org.apbj.kernels.api.KernelContext;
import org.apbj.kernels.runtime.ArrayTypes;
import org.apbj.kernels.runtime.Backend;
import org.apbj.kernels.runtime.CopyChecks;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.DeviceCapabilities;
import org.apbj.kernels.runtime.DeviceMemoryException;
import org.apbj.kernels.runtime.Grid;
import org.apbj.kernels.runtime.KernelLaunchException;
import org.apbj.kernels.runtime.LaunchArguments;
import org.apbj.kernels.runtime.Marker;
import org.apbj.kernels.runtime.MemoryTracker;
import org.apbj.kernels.runtime.java.KernelFeatures.Feature;

/**
 * Runs kernel methods themselves on CPU threads: the reference every other backend is compared
 * with. Work-groups are spread over a pool sized to the cores. Kernels that use barriers,
 * shared arrays or warp operations run each group's work-items as cooperating virtual threads;
 * the others run them in a plain loop. Launches are synchronous: a failing kernel throws from
 * {@link #launch}, naming the work-item.
 */
public final class JavaDevice implements Device {

    /** Default for how long a work-item waits at a barrier before the launch fails. */
    public static final Duration DEFAULT_BARRIER_TIMEOUT =
            Duration.ofMillis(Long.getLong("apbj.java.barrierTimeoutMs", 60_000));

    private static final Map<Method, MethodHandle> HANDLES = new ConcurrentHashMap<>();

    private final ForkJoinPool pool;
    private final int parallelism;
    private final long barrierTimeoutNanos;
    private final long capacityBytes;
    private final MemoryTracker memory = new MemoryTracker();
    private final Set<JavaBuffer> live = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    public JavaDevice() { this(Runtime.getRuntime().availableProcessors(), DEFAULT_BARRIER_TIMEOUT); }

    public JavaDevice(int parallelism, Duration barrierTimeout) { this(parallelism, barrierTimeout, 0); }

    /**
     * @param capacityBytes when positive, the device behaves like one with this much memory: it
     *                      reports it as total (free = capacity − allocated) and fails an
     *                      allocation beyond it, as a GPU would (for tests of memory planning)
     */
    public JavaDevice(int parallelism, Duration barrierTimeout, long capacityBytes) {
        if (parallelism < 1) {
            throw new IllegalArgumentException("the Java device needs at least 1 thread (java:THREADS), got " + parallelism);
        }
        this.capacityBytes = Math.max(0, capacityBytes);
        this.parallelism = parallelism;
        this.pool = new ForkJoinPool(parallelism);
        this.barrierTimeoutNanos = barrierTimeout.toNanos();
    }

    @Override public Backend backend() { return Backend.JAVA; }

    /**
     * No tensor cores or cp.async (their Java meaning runs); shared arrays are heap arrays, so no
     * limit but the heap's; groups of up to 1024, the limit kernels are written for everywhere.
     */
    @Override
    public DeviceCapabilities capabilities() {
        return DeviceCapabilities.portable(Integer.MAX_VALUE, MAX_GROUP_THREADS, parallelism);
    }

    /** Work-items per group that kernels may assume on every device (CUDA's limit). */
    private static final int MAX_GROUP_THREADS = 1024;

    @Override public String name() {
        return "java (" + parallelism + " threads" + (capacityBytes > 0 ? ", " + DeviceMemoryException.bytes(capacityBytes) : "") + ")";
    }

    @Override public String toString() { return name(); }

    @Override
    public <A extends DeviceArray> A alloc(Class<A> type, long length) {
        ensureOpen();
        long bytes = ArrayTypes.byteSize(type, length);
        if (capacityBytes > 0 && memory.allocatedBytes() + bytes > capacityBytes) {
            throw new DeviceMemoryException(name() + ": out of device memory: asked " + DeviceMemoryException.bytes(bytes)
                    + ", free " + DeviceMemoryException.bytes(capacityBytes - memory.allocatedBytes()) + " of "
                    + DeviceMemoryException.bytes(capacityBytes) + " in " + memory.liveBuffers() + " buffers");
        }
        JavaBuffer b = new JavaBuffer(this, bytes);
        live.add(b);
        memory.allocated(bytes);
        return ArrayTypes.wrap(type, b);
    }

    void released(JavaBuffer b) {
        if (live.remove(b)) memory.freed(b.byteSize());
    }

    @Override
    public void copy(DeviceArray dst, long dstIndex, DeviceArray src, long srcIndex, long count) {
        ensureOpen();
        CopyChecks.check(this, dst, dstIndex, src, srcIndex, count);
        long eb = dst.elementBytes();
        MemorySegment.copy(src.segment(), srcIndex * eb, dst.segment(), dstIndex * eb, count * eb);
    }

    @Override
    public void launch(Kernel kernel, Grid grid, Object... args) {
        ensureOpen();
        LaunchArguments.check(kernel, grid, args, this, true);
        Set<Feature> features = KernelFeatures.of(kernel.method());
        long groups = (long) grid.groupCount(0) * grid.groupCount(1) * grid.groupCount(2);
        if (features.contains(Feature.WARP) && grid.workItemsPerGroup() % KernelContext.WARP_SIZE != 0) {
            throw new KernelLaunchException("kernel " + kernel + " uses warp operations, so its groups must be whole"
                    + " warps (a multiple of " + KernelContext.WARP_SIZE + " work-items); " + grid + " has "
                    + grid.workItemsPerGroup() + " per group");
        }
        if (features.contains(Feature.GLOBAL_BARRIER) && groups > 1) {
            throw new KernelLaunchException("kernel " + kernel + " calls globalBarrier, which synchronises one group"
                    + " only; launch it as a single group (" + grid + " has " + groups + " groups) or split the kernel");
        }
        MethodHandle body = MethodHandles.insertArguments(handle(kernel.method()), 1, args);
        boolean cooperative = KernelFeatures.needsCooperation(features);
        int tasks = (int) Math.min(groups, cooperative ? parallelism : parallelism * 4L);
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        List<Future<?>> futures = new ArrayList<>(tasks);
        for (int t = 0; t < tasks; t++) {
            long from = groups * t / tasks, to = groups * (t + 1) / tasks;
            futures.add(pool.submit(() -> {
                if (cooperative) runCooperative(kernel, grid, body, from, to, failure);
                else runIndependent(kernel, grid, body, from, to, failure);
            }));
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure.compareAndSet(null, new KernelLaunchException("interrupted while running " + kernel, e));
            } catch (ExecutionException e) {
                failure.compareAndSet(null, new KernelLaunchException("kernel " + kernel + " failed: " + e.getCause(), e.getCause()));
            }
        }
        if (failure.get() != null) throw failure.get();
    }

    private static MethodHandle handle(Method m) {
        return HANDLES.computeIfAbsent(m, method -> {
            try {
                return MethodHandles.lookup().unreflect(method);
            } catch (IllegalAccessException e) {
                throw new KernelLaunchException("cannot call kernel " + method + ": " + e.getMessage(), e);
            }
        });
    }

    private static void setSizes(KernelContext ctx, Grid grid) {
        ctx.globalGroupSizeX = grid.globalSize(0);
        ctx.globalGroupSizeY = grid.globalSize(1);
        ctx.globalGroupSizeZ = grid.globalSize(2);
        ctx.localGroupSizeX = grid.localSize(0);
        ctx.localGroupSizeY = grid.localSize(1);
        ctx.localGroupSizeZ = grid.localSize(2);
    }

    private static void setGroup(KernelContext ctx, Grid grid, long group) {
        int gx = grid.groupCount(0), gy = grid.groupCount(1);
        ctx.groupIdx = (int) (group % gx);
        ctx.groupIdy = (int) (group / gx % gy);
        ctx.groupIdz = (int) (group / gx / gy);
    }

    private static void setLocal(KernelContext ctx, int x, int y, int z) {
        ctx.localIdx = x;
        ctx.localIdy = y;
        ctx.localIdz = z;
        ctx.globalIdx = ctx.groupIdx * ctx.localGroupSizeX + x;
        ctx.globalIdy = ctx.groupIdy * ctx.localGroupSizeY + y;
        ctx.globalIdz = ctx.groupIdz * ctx.localGroupSizeZ + z;
    }

    private static KernelLaunchException failed(Kernel kernel, KernelContext ctx, Throwable t) {
        if (t instanceof DivergentBarrierException d) {
            return new KernelLaunchException("kernel " + kernel + ": divergent barrier: " + d.getMessage(), d);
        }
        return new KernelLaunchException("kernel " + kernel + " failed in " + CooperativeGroup.describe(ctx) + ": " + t, t);
    }

    /** Fast path: one context per task, work-items one after another. */
    private static void runIndependent(Kernel kernel, Grid grid, MethodHandle body, long from, long to,
                                       AtomicReference<RuntimeException> failure) {
        KernelContext ctx = new KernelContext(new IndependentWorkItems(kernel.qualifiedName()));
        setSizes(ctx, grid);
        int lx = grid.localSize(0), ly = grid.localSize(1), lz = grid.localSize(2);
        for (long g = from; g < to && failure.get() == null; g++) {
            setGroup(ctx, grid, g);
            for (int z = 0; z < lz; z++) {
                for (int y = 0; y < ly; y++) {
                    for (int x = 0; x < lx; x++) {
                        setLocal(ctx, x, y, z);
                        ctx.resetLocalAllocations();
                        try {
                            body.invokeExact(ctx);
                        } catch (Throwable t) {
                            failure.compareAndSet(null, failed(kernel, ctx, t));
                            return;
                        }
                    }
                }
            }
        }
    }

    /** Each group's work-items as virtual threads sharing a {@link CooperativeGroup}. */
    private void runCooperative(Kernel kernel, Grid grid, MethodHandle body, long from, long to,
                                AtomicReference<RuntimeException> failure) {
        int lx = grid.localSize(0), ly = grid.localSize(1), lz = grid.localSize(2);
        int n = grid.workItemsPerGroup();
        for (long g = from; g < to && failure.get() == null; g++) {
            KernelContext probe = new KernelContext(null);
            setSizes(probe, grid);
            setGroup(probe, grid, g);
            String groupName = "(" + probe.groupIdx + "," + probe.groupIdy + "," + probe.groupIdz + ")";
            CooperativeGroup group = new CooperativeGroup(kernel.qualifiedName(), groupName, n, barrierTimeoutNanos);
            AtomicReference<RuntimeException> groupFailure = new AtomicReference<>();
            Thread[] items = new Thread[n];
            int i = 0;
            for (int z = 0; z < lz; z++) {
                for (int y = 0; y < ly; y++) {
                    for (int x = 0; x < lx; x++) {
                        KernelContext ctx = new KernelContext(group);
                        setSizes(ctx, grid);
                        setGroup(ctx, grid, g);
                        setLocal(ctx, x, y, z);
                        items[i++] = Thread.ofVirtual().unstarted(() -> {
                            try {
                                body.invokeExact(ctx);
                            } catch (GroupBarrier.Broken secondary) {
                                // another work-item's failure woke this one; that failure is reported
                            } catch (Throwable t) {
                                KernelLaunchException e = failed(kernel, ctx, t);
                                groupFailure.compareAndSet(null, e);
                                group.abort(e);
                            } finally {
                                group.exited(ctx);
                            }
                        });
                    }
                }
            }
            for (Thread t : items) t.start();
            int stillRunning = awaitWorkItems(items, group, groupFailure);
            if (stillRunning < 0) {
                failure.compareAndSet(null, new KernelLaunchException("interrupted while running " + kernel));
                return;
            }
            RuntimeException e = groupFailure.get();
            if (e == null && stillRunning > 0 && group.failure() == null) {
                e = new KernelLaunchException("kernel " + kernel + ": " + stillRunning + " work-items of group " + groupName
                        + " did not finish within " + TimeUnit.NANOSECONDS.toMillis(barrierTimeoutNanos)
                        + " ms (a work-item stuck in a loop?); they are left running");
            }
            if (e == null && stillRunning == 0 && group.failure() == null) {
                DivergentBarrierException d = group.nonUniformWarpOps(groupName);
                if (d != null) e = new KernelLaunchException("kernel " + kernel + ": divergent warp operations: " + d.getMessage(), d);
            }
            if (e == null && group.failure() != null) {
                RuntimeException cause = group.failure();
                e = cause instanceof DivergentBarrierException d
                        ? new KernelLaunchException("kernel " + kernel + ": divergent barrier: " + d.getMessage(), d)
                        : new KernelLaunchException("kernel " + kernel + " failed in group " + groupName + ": " + cause, cause);
            }
            if (e != null && stillRunning > 0) {
                e.addSuppressed(new IllegalStateException(stillRunning + " work-items of group " + groupName
                        + " were still running when the launch gave up on them"));
            }
            if (e != null) {
                failure.compareAndSet(null, e);
                return;
            }
        }
    }

    /**
     * Joins the group's work-items. Without a failure it waits up to the barrier timeout plus a
     * margin; once a barrier broke or a work-item failed, others get a short grace period only.
     * Returns how many are still running (normally 0), or -1 when interrupted.
     */
    private int awaitWorkItems(Thread[] items, CooperativeGroup group, AtomicReference<RuntimeException> groupFailure) {
        long deadline = System.nanoTime() + barrierTimeoutNanos + TimeUnit.SECONDS.toNanos(5);
        boolean failed = false;
        try {
            for (Thread t : items) {
                while (t.isAlive()) {
                    if (!failed && (group.failure() != null || groupFailure.get() != null)) {
                        failed = true;
                        deadline = Math.min(deadline, System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) break;
                    t.join(Duration.ofNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50))));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            group.abort(new IllegalStateException("launch interrupted"));
            return -1;
        }
        int running = 0;
        for (Thread t : items) if (t.isAlive()) running++;
        if (running > 0) group.abort(new IllegalStateException("launch abandoned"));
        return running;
    }

    /** Launches run to completion inside {@link #launch}; nothing is pending here. */
    @Override
    public void synchronize() { ensureOpen(); }

    /** A host timestamp: launches and copies have finished when they return. */
    @Override
    public Marker mark() {
        ensureOpen();
        return Marker.hostTime(System.nanoTime());
    }

    @Override
    public MemoryStats memory() {
        long total = -1, free = -1;
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            total = os.getTotalMemorySize();
            free = os.getFreeMemorySize();
        }
        if (capacityBytes > 0) {
            total = capacityBytes;
            free = free < 0 ? capacityBytes - memory.allocatedBytes() : Math.min(free, capacityBytes - memory.allocatedBytes());
        }
        return new MemoryStats(memory.allocatedBytes(), memory.peakBytes(), free, total);
    }

    /** Buffers allocated here and not yet freed. */
    public long liveBuffers() { return memory.liveBuffers(); }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException(name() + " is closed");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (JavaBuffer b : List.copyOf(live)) b.close();
        pool.shutdown();
    }
}
