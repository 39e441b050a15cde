package org.apbj.examples.eval;

import java.util.SplittableRandom;

/** Random needle keys and values of RULER's types. */
public final class Values {
    private Values() {}

    /** RULER "numbers": 7 digits, random.randint(10**6, 10**7 - 1). */
    public static String number7(SplittableRandom r) { return Integer.toString(1_000_000 + r.nextInt(9_000_000)); }

    /** RULER "uuids": a version-4 UUID drawn from the stream. */
    public static String uuid(SplittableRandom r) {
        long hi = r.nextLong(), lo = r.nextLong();
        hi = (hi & ~0xF000L) | 0x4000L;
        lo = (lo & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new java.util.UUID(hi, lo).toString();
    }

    /** n random digits, leading zeros allowed (InfiniteBench passkey: 5, number_string: 10). */
    public static String digits(SplittableRandom r, int n) {
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) sb.append((char) ('0' + r.nextInt(10)));
        return sb.toString();
    }

    public static String ofType(String type, SplittableRandom r) {
        return switch (type) {
            case "numbers" -> number7(r);
            case "uuids" -> uuid(r);
            case "words" -> Lexicon.get().key(r);
            default -> throw new IllegalArgumentException("unknown needle type " + type);
        };
    }
}
