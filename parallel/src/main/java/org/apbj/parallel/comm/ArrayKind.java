package org.apbj.parallel.comm;

/** The element arrays communicators accept, with their element sizes. */
enum ArrayKind {
    FLOAT(4), SHORT(2), INT(4), BYTE(1);

    final int bytes;

    ArrayKind(int bytes) { this.bytes = bytes; }

    static ArrayKind of(Object array) {
        return switch (array) {
            case float[] a -> FLOAT;
            case short[] a -> SHORT;
            case int[] a -> INT;
            case byte[] a -> BYTE;
            case null -> throw new IllegalArgumentException("buffer is null");
            default -> throw new IllegalArgumentException("unsupported buffer type "
                    + array.getClass().getSimpleName() + ": use float[], short[], int[] or byte[]");
        };
    }

    static int length(Object array) {
        return java.lang.reflect.Array.getLength(array);
    }

    /** Checks type agreement and bounds of one collective call; returns the element kind. */
    static ArrayKind check(String op, Object a, int offA, int countA, Object b, int offB, int countB) {
        ArrayKind k = of(a);
        if (b != null && of(b) != k) {
            throw new IllegalArgumentException(op + ": send is " + k + "[] but receive is " + of(b) + "[]");
        }
        checkRange(op, "send", a, offA, countA);
        if (b != null) checkRange(op, "receive", b, offB, countB);
        return k;
    }

    private static void checkRange(String op, String which, Object arr, int off, int count) {
        int len = length(arr);
        if (off < 0 || count < 0 || (long) off + count > len) {
            throw new IllegalArgumentException(op + ": " + which + " range [" + off + ", " + ((long) off + count)
                    + ") does not fit a buffer of " + len + " elements");
        }
    }
}
