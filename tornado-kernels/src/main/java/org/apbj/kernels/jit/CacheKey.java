package org.apbj.kernels.jit;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import org.apbj.kernels.api.Kernel;
import org.apbj.kernels.api.LaunchBounds;
import org.apbj.kernels.jit.front.CalleeScanner;

/**
 * SHA-256 of the compiler (its version and the bytes of its own classes), target, bytecode of the
 * kernel and its callees, and constants. The compiler's classes are in the key because the disk
 * cache outlives builds: a changed compiler must never load code an older one wrote.
 */
final class CacheKey {
    /** Bump when the generated code changes for the same input, to invalidate disk caches. */
    static final String COMPILER_VERSION = "apbj-jit-3";

    private CacheKey() {}

    static String of(Kernel kernel, Target target, Object[] constants) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            update(md, COMPILER_VERSION);
            update(md, CompilerFingerprint.get());
            update(md, target.kind() + ":" + target.arch());
            LaunchBounds bounds = kernel.method().getAnnotation(LaunchBounds.class);
            long spins = DebugOptions.mbarrierDebugSpins();
            if (spins > 0) update(md, "mbarrier.debugSpins " + spins);
            if (bounds != null) update(md, "bounds " + bounds.threads() + "/" + bounds.minGroupsPerMultiprocessor());
            for (Map.Entry<String, byte[]> e : CalleeScanner.bytecode(kernel.method()).entrySet()) {
                update(md, e.getKey());
                md.update(e.getValue());
            }
            for (int i = 0; i < constants.length; i++) {
                if (constants[i] != null) update(md, i + "=" + constants[i].getClass().getSimpleName() + ":" + bitsOf(constants[i]));
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 40);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    /** Floats by their bits, so that -0.0 and NaN payloads are distinct constants. */
    private static String bitsOf(Object v) {
        return switch (v) {
            case Float f -> Integer.toHexString(Float.floatToRawIntBits(f));
            case Double d -> Long.toHexString(Double.doubleToRawLongBits(d));
            default -> v.toString();
        };
    }

    private static void update(MessageDigest md, String s) {
        md.update(s.getBytes(StandardCharsets.UTF_8));
        md.update((byte) 0);
    }
}
