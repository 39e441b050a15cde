package org.apbj.kernels.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.apbj.kernels.testing.TestSeed;
import org.junit.jupiter.api.Test;

/**
 * The Java meaning of mbarrier transaction counts: a phase completes only when every arrival came
 * and the bulk copies delivered the expected bytes, in either order.
 */
@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class MbarrierTxTest {
    private static boolean done(long[] bars, int parity) {
        String old = System.getProperty(Mbarrier.TIMEOUT_PROPERTY);
        System.setProperty(Mbarrier.TIMEOUT_PROPERTY, "1");
        try {
            Mbarrier.waitParity(null, bars, 0, parity);
            return true;
        } catch (IllegalStateException e) {
            assertTrue(e.getMessage().contains("transaction bytes pending"), e.getMessage());
            return false;
        } finally {
            if (old == null) System.clearProperty(Mbarrier.TIMEOUT_PROPERTY); else System.setProperty(Mbarrier.TIMEOUT_PROPERTY, old);
        }
    }

    @Test
    void phaseWaitsForArrivalsAndBytesInAnyOrder() {
        long seed = TestSeed.next();
        Random random = new Random(seed);
        long[] bars = new long[1];
        Mbarrier.init(null, bars, 0, 2);
        for (int phase = 0; phase < 6; phase++) {
            int bytes = 1 + random.nextInt(1 << 16), parity = phase & 1;
            int split = random.nextInt(bytes + 1);
            boolean copiesFirst = random.nextBoolean();
            if (copiesFirst) Mbarrier.completeTx(bars, 0, split);   // a copy may land before its expect_tx
            Mbarrier.arriveExpectTx(null, bars, 0, bytes);
            assertEquals(false, done(bars, parity), "one arrival still missing (seed " + seed + ")");
            Mbarrier.arrive(null, bars, 0);
            if (!copiesFirst) Mbarrier.completeTx(bars, 0, split);
            assertEquals(split == bytes, done(bars, parity), split + " of " + bytes + " bytes delivered (seed " + seed + ")");
            if (split < bytes) {
                Mbarrier.completeTx(bars, 0, bytes - split);
                assertEquals(true, done(bars, parity), "all bytes delivered (seed " + seed + ")");
            }
            assertEquals(false, done(bars, parity ^ 1), "the next phase has not completed (seed " + seed + ")");
        }
    }

    @Test
    void oversizedExpectTxIsRejected() {
        long[] bars = new long[1];
        Mbarrier.init(null, bars, 0, 1);
        String msg = assertThrows(IllegalArgumentException.class, () -> Mbarrier.arriveExpectTx(null, bars, 0, 1 << 20)).getMessage();
        assertTrue(msg.contains("outside 0..2^20-1"), msg);
    }
}
