package org.apbj.weights;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * Fast deterministic pseudo-random weights for synthetic models. Each chunk of each tensor has
 * its own generator seeded from (model seed, tensor name, chunk index), so the bytes do not
 * depend on how the work is scheduled.
 *
 * <p>Values are approximately normal: the centred sum of four 16-bit uniforms (Irwin-Hall, n = 4)
 * scaled to the requested standard deviation. One 64-bit random number per value; bounded at
 * ±2√3·std, which keeps activations of deep random models finite.
 */
public final class RandomWeights {
    private RandomWeights() {}

    /** Seed of one tensor: SplitMix64 of the model seed and a 64-bit FNV-1a hash of the name. */
    public static long tensorSeed(long modelSeed, String tensorName) {
        long h = 0xcbf29ce484222325L;
        for (byte b : tensorName.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return mix(modelSeed ^ mix(h));
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    private static SplittableRandom chunkRandom(long tensorSeed, long chunkIndex) {
        return new SplittableRandom(mix(tensorSeed + 0x9e3779b97f4a7c15L * (chunkIndex + 1)));
    }

    /** Fills a bf16 chunk with approximately N(0, std²) values. */
    public static void fillBf16(long tensorSeed, long chunkIndex, MemorySegment chunk, float std) {
        SplittableRandom rng = chunkRandom(tensorSeed, chunkIndex);
        // sum of four U[0, 65536) has mean 131070 and standard deviation 65536/√3.
        float scale = (float) (std * Math.sqrt(3.0) / 65536.0);
        long n = chunk.byteSize() / 2;
        for (long i = 0; i < n; i++) {
            long r = rng.nextLong();
            int sum = (int) (r & 0xffff) + (int) ((r >>> 16) & 0xffff) + (int) ((r >>> 32) & 0xffff) + (int) (r >>> 48);
            chunk.set(Tensor.SHORT_LE, 2 * i, Floats.floatToBf16((sum - 131070) * scale));
        }
    }

    /** Fills a bf16 chunk with a constant (norm weights). */
    public static void fillConstantBf16(MemorySegment chunk, float value) {
        short bits = Floats.floatToBf16(value);
        long n = chunk.byteSize() / 2;
        for (long i = 0; i < n; i++) chunk.set(Tensor.SHORT_LE, 2 * i, bits);
    }
}
