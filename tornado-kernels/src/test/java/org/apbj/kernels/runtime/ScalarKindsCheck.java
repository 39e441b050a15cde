package org.apbj.kernels.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.apbj.kernels.api.I64Array;

/**
 * The check the CUDA and OpenCL runtime tests both make with their own hand-written "scalars"
 * kernel (out, long, int, short, byte, boolean, float, double): every scalar kind reaches the
 * kernel with its value. The kernel writes each as a long into out[0..6], the boolean as 0 or 1,
 * the float times 1000 and the double times 10^6.
 */
public final class ScalarKindsCheck {
    private ScalarKindsCheck() {}

    /** Launches the device's scalars kernel on {@code values}: out, then the seven scalars. */
    public interface Launch {
        void run(Object... values);
    }

    public static void check(Device device, Random random, Launch launch) {
        long l = random.nextLong();
        int i = random.nextInt();
        short s = (short) random.nextInt();
        byte b = (byte) random.nextInt();
        try (I64Array out = device.allocI64(7)) {
            launch.run(out, l, i, s, b, true, 1.25f, 2.5);
            I64Array host = I64Array.allocate(7);
            device.copyOut(host, out);
            assertArrayEquals(new long[] {l, i, s, b, 1, 1250, 2_500_000}, host.toArray());
        }
    }
}
