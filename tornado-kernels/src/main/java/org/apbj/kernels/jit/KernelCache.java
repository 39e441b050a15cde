package org.apbj.kernels.jit;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apbj.kernels.api.Kernel;

/**
 * Compiled kernels in memory (per JVM) and on disk (across runs). The disk directory is the
 * system property {@code apbj.kernel.cache}, default {@code ~/.cache/apbj/kernels}; each entry
 * is {@code <key>.ptx} or {@code <key>.cl} plus {@code <key>.properties} with the metadata.
 * Files are written to a temporary name and moved into place, so concurrent JVMs never read
 * half-written entries.
 */
public final class KernelCache {
    public static final String DIR_PROPERTY = "apbj.kernel.cache";

    private static volatile KernelCache shared;

    private final Path dir;
    private final ConcurrentHashMap<MemoryKey, CompiledKernel> memory = new ConcurrentHashMap<>();
    private volatile boolean diskWarned;

    private record MemoryKey(Method method, Target target, List<Object> constants) {}

    public KernelCache(Path dir) { this.dir = dir; }

    /** The process-wide cache over the configured directory (re-read when the property changes). */
    public static KernelCache shared() {
        // Every launch asks: compare the property's text with the last one before building a Path.
        String setting = System.getProperty(DIR_PROPERTY);
        KernelCache c = shared;
        if (c != null && java.util.Objects.equals(setting, c.setting)) return c;
        Path dir = Path.of(setting != null ? setting : System.getProperty("user.home") + "/.cache/apbj/kernels");
        synchronized (KernelCache.class) {
            if (shared == null || !shared.dir.equals(dir)) shared = new KernelCache(dir);
            shared.setting = setting;
            return shared;
        }
    }

    /** The property text {@link #shared()} last found for this cache. */
    private volatile String setting;

    public Path directory() { return dir; }

    /** Number of kernels held in memory. */
    public int memorySize() { return memory.size(); }

    public void clearMemory() { memory.clear(); }

    CompiledKernel get(Kernel kernel, Target target, Object[] constants, Supplier<CompiledKernel> compile) {
        MemoryKey mk = new MemoryKey(kernel.method(), target, Arrays.asList(constants.clone()));
        CompiledKernel hit = memory.get(mk);
        if (hit != null) return hit;
        String key = CacheKey.of(kernel, target, constants);
        CompiledKernel k = readDisk(key, target);
        if (k == null) {
            k = compile.get();
            writeDisk(k);
        }
        memory.putIfAbsent(mk, k);
        return memory.get(mk);
    }

    private Path sourceFile(String key, Target target) {
        return dir.resolve(key + (target.kind() == Target.Kind.PTX ? ".ptx" : ".cl"));
    }

    private CompiledKernel readDisk(String key, Target target) {
        Path src = sourceFile(key, target);
        Path meta = dir.resolve(key + ".properties");
        if (!Files.isRegularFile(src) || !Files.isRegularFile(meta)) return null;
        try {
            Properties p = new Properties();
            p.load(new StringReader(Files.readString(meta, StandardCharsets.UTF_8)));
            List<CompiledKernel.Param> params = new ArrayList<>();
            String list = p.getProperty("params", "");
            for (String s : list.isEmpty() ? new String[0] : list.split(",")) {
                String[] f = s.split(":");
                params.add(new CompiledKernel.Param(Integer.parseInt(f[0]), f[1], CompiledKernel.ParamKind.valueOf(f[2])));
            }
            return new CompiledKernel(p.getProperty("entryName"), Files.readString(src, StandardCharsets.UTF_8), target,
                    List.copyOf(params), Boolean.parseBoolean(p.getProperty("usesWarpOps")),
                    Boolean.parseBoolean(p.getProperty("usesBarriers")), Integer.parseInt(p.getProperty("sharedBytes")), key);
        } catch (IOException | RuntimeException e) {
            warn("ignoring unreadable cache entry " + meta + " (" + e + "); recompiling");
            return null;
        }
    }

    private void writeDisk(CompiledKernel k) {
        try {
            Files.createDirectories(dir);
            Properties p = new Properties();
            p.setProperty("entryName", k.entryName());
            p.setProperty("target", k.target().kind() + ":" + k.target().arch());
            StringBuilder ps = new StringBuilder();
            for (CompiledKernel.Param prm : k.params()) {
                if (!ps.isEmpty()) ps.append(',');
                ps.append(prm.javaIndex()).append(':').append(prm.name()).append(':').append(prm.kind());
            }
            p.setProperty("params", ps.toString());
            p.setProperty("usesWarpOps", Boolean.toString(k.usesWarpOps()));
            p.setProperty("usesBarriers", Boolean.toString(k.usesBarriers()));
            p.setProperty("sharedBytes", Integer.toString(k.sharedBytes()));
            StringWriter w = new StringWriter();
            p.store(w, "apbj compiled kernel");
            // Source first, metadata last: an entry is complete once its metadata exists.
            writeAtomically(sourceFile(k.cacheKey(), k.target()), k.source());
            writeAtomically(dir.resolve(k.cacheKey() + ".properties"), w.toString());
        } catch (IOException | UncheckedIOException e) {
            warn("cannot write the kernel cache in " + dir + " (" + e + "); set -D" + DIR_PROPERTY + " to a writable directory");
        }
    }

    private static void writeAtomically(Path target, String text) throws IOException {
        Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private void warn(String message) {
        if (!diskWarned) {
            diskWarned = true;
            System.err.println("apbj kernel cache: " + message);
        }
    }
}
