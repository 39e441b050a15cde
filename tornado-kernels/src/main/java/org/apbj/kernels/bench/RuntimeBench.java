package org.apbj.kernels.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.api.I8Array;
import org.apbj.kernels.api.Kernel;
import org.apbj.kernels.jit.CompiledKernel;
import org.apbj.kernels.jit.KernelCompiler;
import org.apbj.kernels.runtime.Grid;
import org.apbj.kernels.runtime.KernelParams;
import org.apbj.kernels.runtime.cuda.CudaDevice;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * CUDA runtime benchmark; prints one JSON object per line:
 * <ul>
 *   <li>saxpy over 256M floats (hand-written PTX and the compiled Java kernel) against a 2 GiB device-to-device copy, both as GB/s counting bytes read
 *       plus written, and their ratio (goal ≥ 0.85);</li>
 *   <li>pinned host→device and device→host copy GB/s (goal ≥ 20);</li>
 *   <li>empty-kernel launch overhead: median host time of 1000 launches in µs;</li>
 *   <li>first-compile and cached-load time of a kernel.</li>
 * </ul>
 * GPU times come from CUDA events. Usage: {@code RuntimeBench [--device N] [--floats N]
 * [--copy-mib N] [--pinned-mib N] [--reps N]} ({@code --help} describes them).
 */
@Command(name = "RuntimeBench", mixinStandardHelpOptions = true,
        description = "CUDA runtime benchmark: one JSON object per line (saxpy vs copy bandwidth, pinned copies, launch overhead, compile times).")
public final class RuntimeBench implements Callable<Integer> {
    private static final int BLOCK = 256;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec CommandSpec spec;

    @Option(names = "--device", paramLabel = "N", defaultValue = "0", description = "CUDA device ordinal (default: ${DEFAULT-VALUE})")
    int ordinal;

    @Option(names = "--floats", paramLabel = "N", defaultValue = "268435456", description = "saxpy length (default: ${DEFAULT-VALUE})")
    int floats;

    @Option(names = "--copy-mib", paramLabel = "MIB", defaultValue = "2048", description = "device-to-device copy size (default: ${DEFAULT-VALUE})")
    long copyMib;

    @Option(names = "--pinned-mib", paramLabel = "MIB", defaultValue = "1024", description = "pinned host copy size (default: ${DEFAULT-VALUE})")
    long pinnedMib;

    @Option(names = "--reps", paramLabel = "N", defaultValue = "10", description = "timed repetitions; the median is reported (default: ${DEFAULT-VALUE})")
    int reps;

    public static void main(String[] args) {
        System.exit(new CommandLine(new RuntimeBench()).execute(args));
    }

    @Override
    public Integer call() {
        if (floats < 1 || copyMib < 1 || pinnedMib < 1 || reps < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--floats, --copy-mib, --pinned-mib and --reps must be positive");
        }
        try (CudaDevice dev = CudaDevice.open(ordinal)) {
            emit("device", "name", dev.name(), "sms", dev.multiprocessorCount(),
                    "total_mem_bytes", dev.totalMemoryBytes());
            compileTimes(dev);
            double copyGbps = deviceCopy(dev, copyMib << 20, reps);
            saxpy(dev, floats, reps, copyGbps);
            pinned(dev, pinnedMib << 20, reps);
            launchOverhead(dev, 1000);
            emit("memory", "allocated_bytes", dev.memory().allocatedBytes(), "peak_bytes", dev.memory().peakBytes());
        }
        return 0;
    }

    private static void compileTimes(CudaDevice dev) {
        Kernel saxpy = Kernel.of(BenchKernels.class, "saxpy");
        try (F32Array y = dev.allocF32(1); F32Array x = dev.allocF32(1)) {
            Object[] args = {y, x, 1f, 1};
            long t0 = System.nanoTime();
            CompiledKernel ck = KernelCompiler.compile(saxpy, dev.target(), args);
            long t1 = System.nanoTime();
            float jitMs = dev.prepare(ck, saxpy.qualifiedName());
            long t2 = System.nanoTime();
            CompiledKernel again = KernelCompiler.compile(saxpy, dev.target(), args);
            dev.prepare(again, saxpy.qualifiedName());
            long t3 = System.nanoTime();
            emit("compile", "kernel", saxpy.qualifiedName(), "first_compile_ms", ms(t1 - t0),
                    "first_load_ms", ms(t2 - t1), "driver_jit_ms", jitMs, "first_total_ms", ms(t2 - t0),
                    "cached_compile_and_load_ms", ms(t3 - t2), "ptx_chars", ck.source().length());
        }
        long t0 = System.nanoTime();
        float jitMs = dev.prepare(BenchPtx.SAXPY, "ptx saxpy");
        long t1 = System.nanoTime();
        dev.prepare(BenchPtx.SAXPY, "ptx saxpy");
        long t2 = System.nanoTime();
        emit("module_load", "kernel", "ptx-handwritten saxpy", "first_load_ms", ms(t1 - t0), "driver_jit_ms", jitMs,
                "cached_load_ms", ms(t2 - t1));
    }

    /**
     * The device's copy bandwidth: the median of {@code reps} device-to-device copies of
     * {@code bytes} (CUDA events), as GB/s counting the bytes read plus written; emits the
     * {@code dtod_copy} line. The other benchmarks' "fraction of copy bandwidth" divides by this.
     */
    static double deviceCopy(CudaDevice dev, long bytes, int reps) {
        try (I8Array src = dev.allocI8(bytes); I8Array dst = dev.allocI8(bytes)) {
            dev.copy(dst, 0, src, 0, bytes);   // warm-up
            float[] t = new float[reps];
            for (int r = 0; r < reps; r++) t[r] = dev.timeMillis(() -> dev.copyAsync(dst, 0, src, 0, bytes));
            double med = median(t);
            double gbps = 2.0 * bytes / (med * 1e-3) / 1e9;
            emit("dtod_copy", "bytes", bytes, "median_ms", med, "gbps_read_plus_write", gbps);
            return gbps;
        }
    }

    private static void saxpy(CudaDevice dev, int n, int reps, double copyGbps) {
        try (F32Array x = dev.allocF32(n); F32Array y = dev.allocF32(n)) {
            Grid grid = Grid.groups((n + BLOCK - 1) / BLOCK, BLOCK);
            runSaxpy(dev, "ptx-handwritten", () -> dev.launchCompiled(BenchPtx.SAXPY, "ptx saxpy", grid, y, x, 2f, n),
                    n, reps, copyGbps);
            Kernel k = Kernel.of(BenchKernels.class, "saxpy");
            Object[] args = {y, x, 2f, n};
            CompiledKernel ck = KernelCompiler.compile(k, dev.target(), args);
            Object[] values = KernelParams.select(ck, args);
            runSaxpy(dev, "java-compiled", () -> dev.launchCompiled(ck, k.qualifiedName(), grid, values), n, reps, copyGbps);
        }
    }

    private static void runSaxpy(CudaDevice dev, String kind, Runnable launch, int n, int reps, double copyGbps) {
        launch.run();
        dev.synchronize();
        float[] t = new float[reps];
        for (int r = 0; r < reps; r++) t[r] = dev.timeMillis(launch);
        double med = median(t);
        double gbps = 12.0 * n / (med * 1e-3) / 1e9;
        emit("saxpy", "kernel", kind, "floats", n, "median_ms", med, "gbps_read_plus_write", gbps,
                "ratio_to_dtod_copy", gbps / copyGbps, "goal_ratio", 0.85);
    }

    private static void pinned(CudaDevice dev, long bytes, int reps) {
        try (I8Array host = dev.allocPinned(I8Array.class, bytes); I8Array d = dev.allocI8(bytes)) {
            dev.copy(d, 0, host, 0, bytes);
            float[] up = new float[reps], down = new float[reps];
            for (int r = 0; r < reps; r++) up[r] = dev.timeMillis(() -> dev.copyAsync(d, 0, host, 0, bytes));
            for (int r = 0; r < reps; r++) down[r] = dev.timeMillis(() -> dev.copyAsync(host, 0, d, 0, bytes));
            emit("pinned_copy", "bytes", bytes, "htod_median_ms", median(up), "htod_gbps", bytes / (median(up) * 1e-3) / 1e9,
                    "dtoh_median_ms", median(down), "dtoh_gbps", bytes / (median(down) * 1e-3) / 1e9, "goal_gbps", 20);
        }
    }

    private static void launchOverhead(CudaDevice dev, int launches) {
        Grid one = Grid.of(32, 32);
        dev.launchCompiled(BenchPtx.EMPTY, "ptx empty", one);
        dev.synchronize();
        float[] host = new float[launches];
        float gpuMs = dev.timeMillis(() -> {
            for (int i = 0; i < launches; i++) {
                long t0 = System.nanoTime();
                dev.launchCompiled(BenchPtx.EMPTY, "ptx empty", one);
                host[i] = (System.nanoTime() - t0) / 1e3f;
            }
        });
        emit("launch_overhead", "kernel", "ptx-handwritten empty", "launches", launches, "median_host_us", median(host),
                "p90_host_us", percentile(host, 0.9), "gpu_us_per_launch", gpuMs * 1e3 / launches);
        Kernel k = Kernel.of(BenchKernels.class, "empty");
        dev.launch(k, one);
        dev.synchronize();
        float[] full = new float[launches];
        for (int i = 0; i < launches; i++) {
            long t0 = System.nanoTime();
            dev.launch(k, one);
            full[i] = (System.nanoTime() - t0) / 1e3f;
        }
        dev.synchronize();
        emit("launch_overhead", "kernel", "java-compiled empty via Device.launch", "launches", launches,
                "median_host_us", median(full), "p90_host_us", percentile(full, 0.9));
    }

    // --- helpers -------------------------------------------------------------------------------

    private static double ms(long nanos) { return nanos / 1e6; }

    private static double median(float[] v) { return percentile(v, 0.5); }

    private static double percentile(float[] v, double p) {
        float[] s = v.clone();
        Arrays.sort(s);
        return s[(int) Math.min(s.length - 1, Math.round(p * (s.length - 1)))];
    }

    /** One JSON object on one line: {"bench": NAME, key: value, ...}; floats rounded to 4 decimals. */
    static String line(String bench, Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("bench", bench);
        for (int i = 0; i < kv.length; i += 2) {
            Object v = kv[i + 1];
            m.put((String) kv[i], v instanceof Float || v instanceof Double ? round4(((Number) v).doubleValue()) : v);
        }
        try {
            return JSON.writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + bench + " as JSON: " + e.getOriginalMessage(), e);
        }
    }

    static void emit(String bench, Object... kv) {
        System.out.println(line(bench, kv));
    }

    private static BigDecimal round4(double v) {
        return Double.isFinite(v) ? BigDecimal.valueOf(v).setScale(4, RoundingMode.HALF_UP) : null;
    }
}
