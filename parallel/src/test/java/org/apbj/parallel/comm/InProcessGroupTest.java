package org.apbj.parallel.comm;

import org.apbj.kernels.testing.TestSeed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@org.junit.jupiter.api.extension.ExtendWith(TestSeed.class)
class InProcessGroupTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4})
    @Timeout(30)
    void collectivesDeliverEveryRanksDataInRankOrder(int size) {
        long seed = TestSeed.next();
        int count = 1 + new Random(seed).nextInt(50);
        List<String> out = InProcessRanks.run(size, Duration.ofSeconds(10), comm -> {
            int r = comm.rank();
            Random rnd = new Random(seed + r);
            float[] f = new float[count];
            short[] s = new short[count];
            for (int i = 0; i < count; i++) { f[i] = rnd.nextFloat(); s[i] = (short) rnd.nextInt(); }
            float[] fAll = new float[count * size];
            comm.allGather(f, fAll);
            short[] sAll = new short[count * size + 3];
            comm.allGather(s, 0, count, sAll, 3);
            for (int j = 0; j < size; j++) {
                Random other = new Random(seed + j);
                for (int i = 0; i < count; i++) {
                    assertEquals(other.nextFloat(), fAll[j * count + i], "float from rank " + j);
                    assertEquals((short) other.nextInt(), sAll[3 + j * count + i], "short from rank " + j);
                }
            }
            int token = comm.broadcastInt(r == size - 1 ? 77 + size : -1, size - 1);
            assertEquals(77 + size, token);
            int[] ringIn = new int[2];
            comm.ringShift(new int[] {r, r * 10}, 0, ringIn, 0, 2);
            int from = (r - 1 + size) % size;
            assertArrayEquals(new int[] {from, from * 10}, ringIn);
            comm.barrier();
            return "ok" + r;
        });
        for (int r = 0; r < size; r++) assertEquals("ok" + r, out.get(r));
    }

    @Test
    @Timeout(30)
    void aStuckRankEndsTheJobOnAllRanksNamingRankAndOperation() {
        CommunicationException e = assertThrows(CommunicationException.class, () ->
                InProcessRanks.run(3, Duration.ofMillis(500), comm -> {
                    if (comm.rank() == 1) Thread.sleep(5_000);   // never joins in time
                    comm.allGather(new float[2], new float[6]);
                    return null;
                }));
        assertTrue(e.getMessage().contains("allGather timed out"), e.getMessage());
        assertTrue(e.getMessage().contains("[1]"), "names the missing rank: " + e.getMessage());
    }

    @Test
    @Timeout(30)
    void anAbortFailsEveryRankWithTheReason() {
        InProcessGroup group = new InProcessGroup(3, Duration.ofSeconds(20));
        var errors = new java.util.concurrent.ConcurrentLinkedQueue<Throwable>();
        Thread[] threads = new Thread[3];
        for (int r = 0; r < 3; r++) {
            Communicator c = group.communicator(r);
            threads[r] = new Thread(() -> {
                try {
                    if (c.rank() == 2) throw c.abort("layer 1 exploded", new IllegalStateException("boom"));
                    c.barrier();
                } catch (Throwable t) {
                    errors.add(t);
                }
            });
            threads[r].start();
        }
        for (Thread t : threads) assertDoesNotHang(t);
        assertEquals(3, errors.size());
        for (Throwable t : errors) {
            assertTrue(t instanceof CommunicationException, t.toString());
            assertTrue(t.getMessage().contains("rank 2 aborted the job: layer 1 exploded"), t.getMessage());
        }
    }

    @Test
    @Timeout(30)
    void mismatchedCollectivesAreReported() {
        CommunicationException e = assertThrows(CommunicationException.class, () ->
                InProcessRanks.run(2, Duration.ofSeconds(10), comm -> {
                    if (comm.rank() == 0) comm.allGather(new int[1], new int[2]);
                    else comm.broadcast(new int[1], 0);
                    return null;
                }));
        assertTrue(e.getMessage().contains("collective mismatch"), e.getMessage());
    }

    @Test
    void badBuffersAreRejectedWithTheFix() {
        Communicator c = new InProcessGroup(2, Duration.ofSeconds(1)).communicator(0);
        var e = assertThrows(IllegalArgumentException.class, () -> c.allGather(new float[4], 0, 4, new float[4], 0));
        assertTrue(e.getMessage().contains("does not fit"), e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> c.allGather(new float[4], 0, 4, new int[8], 0));
        assertTrue(e2.getMessage().contains("FLOAT[] but receive is INT[]"), e2.getMessage());
        assertThrows(IllegalArgumentException.class, () -> c.allGather(new double[4], 0, 4, new double[8], 0));
    }

    private static void assertDoesNotHang(Thread t) {
        try {
            t.join(10_000);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertTrue(!t.isAlive(), "rank thread still blocked");
    }
}
