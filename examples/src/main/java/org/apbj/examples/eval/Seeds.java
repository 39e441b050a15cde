package org.apbj.examples.eval;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/** Deterministic randomness: every generator draws from a stream named by what it generates. */
public final class Seeds {
    private Seeds() {}

    /** A random stream keyed by the parts (e.g. task, length, seed, sample index); same parts, same stream, on any JVM. */
    public static SplittableRandom stream(Object... parts) {
        byte[] d = sha256(String.join("|", java.util.Arrays.stream(parts).map(String::valueOf).toList()));
        return new SplittableRandom(ByteBuffer.wrap(d).getLong());
    }

    public static byte[] sha256(String text) {
        return digest().digest(text.getBytes(StandardCharsets.UTF_8));
    }

    public static String sha256Hex(String text) { return HexFormat.of().formatHex(sha256(text)); }

    public static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-256", e);
        }
    }
}
