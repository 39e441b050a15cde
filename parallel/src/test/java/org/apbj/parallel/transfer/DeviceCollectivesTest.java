package org.apbj.parallel.transfer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.api.F32Array;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.Devices;
import org.apbj.kernels.testing.TestSeed;
import org.apbj.parallel.comm.Communicator;
import org.apbj.parallel.comm.InProcessRanks;
import org.apbj.parallel.comm.RankFailedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Device collectives on the Java device against the in-process communicator's own all-gather and
 * shift of the same (random) data: every path must move the bytes bit for bit; a failed or stuck
 * rank ends the collective on every rank with the cause.
 */
@ExtendWith(TestSeed.class)
class DeviceCollectivesTest {

    private final long seed = TestSeed.next();

    private static Device javaDevice() { return Devices.open("java:1"); }

    /** Rank r's random bf16 data for op i (the same on every call with the same arguments). */
    private short[] data(int rank, int op, int count) {
        Random rnd = new Random(seed * 31 + rank * 1009L + op);
        short[] s = new short[count];
        for (int i = 0; i < count; i++) s[i] = (short) rnd.nextInt();
        return s;
    }

    private static BF16Array upload(Device d, short[] s) {
        BF16Array a = d.allocBF16(s.length);
        for (int i = 0; i < s.length; i++) a.set(i, s[i]);
        return a;
    }

    private static short[] download(BF16Array a, long from, int count) {
        short[] s = new short[count];
        for (int i = 0; i < count; i++) s[i] = a.get(from + i);
        return s;
    }

    @ParameterizedTest(name = "{0} path, {1} ranks")
    @CsvSource({"device, 2", "device, 4", "host, 3", "host, 4", "auto, 3"})
    void allGatherAndShiftMatchTheCommunicatorBitForBit(String pathId, int hosts) {
        CommPath path = CommPath.parse(pathId);
        System.setProperty(HostPath.CHUNK_PROPERTY, "4096");   // several pieces per part on the host path
        try {
            InProcessRanks.run(hosts, Duration.ofSeconds(60), comm -> {
                try (Device d = javaDevice(); DeviceCollectives dc = DeviceCollectives.open(comm, d, path)) {
                    assertEquals(path == CommPath.AUTO ? CommPath.DEVICE : path, dc.path(), "seed " + seed);
                    int[] counts = {1, 3000, 0, 5000};   // 0: a collective that moves nothing
                    for (int op = 0; op < counts.length; op++) checkGather(comm, d, dc, op, counts[op], hosts);
                    for (int op = 0; op < 3; op++) checkShift(comm, d, dc, 10 + op, 2500 + op, hosts);
                }
                return null;
            });
        } finally {
            System.clearProperty(HostPath.CHUNK_PROPERTY);
        }
    }

    private void checkGather(Communicator comm, Device d, DeviceCollectives dc, int op, int count, int hosts) {
        short[] k = data(comm.rank(), 2 * op, count), v = data(comm.rank(), 2 * op + 1, count);
        short[] expectK = new short[hosts * count], expectV = new short[hosts * count];
        comm.allGather(k, expectK);
        comm.allGather(v, expectV);
        try (BF16Array sk = upload(d, k); BF16Array sv = upload(d, v);
             BF16Array rk = d.allocBF16(7 + (long) hosts * count); BF16Array rv = d.allocBF16(7 + (long) hosts * count)) {
            Transfer t = dc.allGather(count, List.of(new Exchange.Part(sk, 0, rk, 7), new Exchange.Part(sv, 0, rv, 7)));
            t.await();
            assertArrayEquals(expectK, download(rk, 7, hosts * count), "K of op " + op + ", rank " + comm.rank() + ", seed " + seed);
            assertArrayEquals(expectV, download(rv, 7, hosts * count), "V of op " + op + ", rank " + comm.rank() + ", seed " + seed);
            assertTrue(t.nanos() > 0);
        }
    }

    @ParameterizedTest(name = "{0} path, {1} ranks")
    @CsvSource({"device, 4", "device, 2", "host, 3"})
    void prefixGatherGivesEachRankTheEarlierRanksBlocksAndHoldsTheSendArraysUntilReleased(String pathId, int hosts) {
        InProcessRanks.run(hosts, Duration.ofSeconds(60), comm -> {
            try (Device d = javaDevice(); DeviceCollectives dc = DeviceCollectives.open(comm, d, CommPath.parse(pathId))) {
                int me = comm.rank();
                for (int op = 0; op < 3; op++) {
                    int count = 1000 + 7 * op;
                    short[] k = data(me, 20 + 2 * op, count), v = data(me, 21 + 2 * op, count);
                    short[] allK = new short[hosts * count], allV = new short[hosts * count];
                    comm.allGather(k, allK);
                    comm.allGather(v, allV);
                    try (BF16Array sk = upload(d, k); BF16Array sv = upload(d, v);
                         BF16Array rk = d.allocBF16((long) hosts * count); BF16Array rv = d.allocBF16((long) hosts * count)) {
                        Transfer t = dc.allGatherPrefix(count, List.of(new Exchange.Part(sk, 0, rk, 0), new Exchange.Part(sv, 0, rv, 0)));
                        t.awaitReceived();
                        String held = assertThrows(IllegalStateException.class, () -> dc.allGatherPrefix(count,
                                List.of(new Exchange.Part(sk, 0, rk, 0)))).getMessage();
                        assertTrue(held.contains("releaseSend"), held);
                        assertArrayEquals(java.util.Arrays.copyOf(allK, me * count), download(rk, 0, me * count),
                                "K before rank " + me + ", op " + op + ", seed " + seed);
                        assertArrayEquals(java.util.Arrays.copyOf(allV, me * count), download(rv, 0, me * count),
                                "V before rank " + me + ", op " + op + ", seed " + seed);
                        t.releaseSend();
                        assertTrue(t.nanos() > 0);
                    }
                }
            }
            return null;
        });
    }

    @Test
    void releaseSendBeforeTheBytesAreAwaitedIsRefused() {
        InProcessRanks.run(2, Duration.ofSeconds(60), comm -> {
            try (Device d = javaDevice(); DeviceCollectives dc = DeviceCollectives.open(comm, d, CommPath.DEVICE);
                 F32Array send = d.allocF32(10); F32Array recv = d.allocF32(20)) {
                Transfer t = dc.allGather(send, 0, 10, recv, 0);
                String early = assertThrows(IllegalStateException.class, t::releaseSend).getMessage();
                assertTrue(early.contains("awaitReceived"), early);
                t.await();
            }
            return null;
        });
    }

    /** A chain shift where rank r sends on iff r >= 1 (rank 0 only receives nothing, as ring step 2 does). */
    private void checkShift(Communicator comm, Device d, DeviceCollectives dc, int op, int count, int hosts) {
        int r = comm.rank();
        int send = r >= 1 && r < hosts - 1 ? count : 0;
        int recv = r >= 2 ? count : 0;
        short[] mine = data(r, op, count);
        short[] expect = new short[recv];
        comm.shift(mine, 0, send, expect, 0, recv);
        try (BF16Array s = upload(d, mine); BF16Array got = d.allocBF16(Math.max(1, recv))) {
            dc.shift(send, recv, List.of(new Exchange.Part(s, 0, got, 0))).await();
            assertArrayEquals(expect, download(got, 0, recv), "shift " + op + ", rank " + r + ", seed " + seed);
        }
    }

    @ParameterizedTest(name = "{0} path")
    @CsvSource({"device", "host"})
    void computeRunsWhileTheTransferIsInFlight(String pathId) {
        InProcessRanks.run(2, Duration.ofSeconds(60), comm -> {
            try (Device d = javaDevice(); DeviceCollectives dc = DeviceCollectives.open(comm, d, CommPath.parse(pathId));
                 F32Array send = d.allocF32(1000); F32Array recv = d.allocF32(2000)) {
                for (int i = 0; i < 1000; i++) send.set(i, comm.rank() * 1000 + i);
                Transfer t = dc.allGather(send, 0, 1000, recv, 0);
                double busy = 0;
                for (int i = 0; i < 100_000; i++) busy += Math.sqrt(i);   // the caller's own work meanwhile
                t.await();
                for (int i = 0; i < 2000; i++) assertEquals(i, recv.get(i), 0f, "element " + i);
                assertTrue(busy > 0);
                Transfer again = dc.allGather(send, 0, 1000, recv, 0);
                assertThrows(IllegalStateException.class, () -> dc.allGather(send, 0, 1000, recv, 0),
                        "a second collective while one is in flight is refused");
                again.await();
            }
            return null;
        });
    }

    @ParameterizedTest(name = "{0} path")
    @CsvSource({"device", "host"})
    void aRankThatThrowsEndsTheCollectiveOnEveryRankWithItsCause(String pathId) {
        long t0 = System.nanoTime();
        RankFailedException e = assertThrows(RankFailedException.class, () -> InProcessRanks.run(3, Duration.ofSeconds(20), comm -> {
            try (Device d = javaDevice(); DeviceCollectives dc = DeviceCollectives.open(comm, d, CommPath.parse(pathId));
                 F32Array send = d.allocF32(100); F32Array recv = d.allocF32(300)) {
                if (comm.rank() == 1) throw new IllegalStateException("rank 1 fails before the all-gather");
                dc.allGather(send, 0, 100, recv, 0).await();
            }
            return null;
        }));
        assertEquals(1, e.failure().rank(), e.toString());
        assertTrue(e.getMessage().contains("rank 1 fails before the all-gather"), e.getMessage());
        assertTrue(System.nanoTime() - t0 < 15e9, "the others were released at once, not by the timeout");
    }

    @ParameterizedTest(name = "{0} path")
    @CsvSource({"device", "host"})
    void aStuckRankEndsTheCollectiveAtTheTimeoutNamingTheRank(String pathId) {
        long t0 = System.nanoTime();
        RankFailedException e = assertThrows(RankFailedException.class, () -> InProcessRanks.run(3, Duration.ofSeconds(2), comm -> {
            try (Device d = javaDevice(); DeviceCollectives dc = DeviceCollectives.open(comm, d, CommPath.parse(pathId), Duration.ofSeconds(2));
                 F32Array send = d.allocF32(100); F32Array recv = d.allocF32(300)) {
                if (comm.rank() == 2) Thread.sleep(60_000);   // hangs outside any collective
                dc.allGather(send, 0, 100, recv, 0).await();
            }
            return null;
        }));
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(e.getMessage().contains("[2]") || e.getMessage().contains("rank 2"), e.getMessage());
        assertTrue(seconds < 30, "ended after " + seconds + " s");
    }

    @Test
    void forcedPathsTheRanksCannotTakeAreRefusedWithTheFix() {
        RankPlacement processes = new RankPlacement(false, true, true, false);
        RankPlacement threadsOnCuda = new RankPlacement(true, true, true, false);
        RankPlacement machines = new RankPlacement(false, false, true, false);
        assertEquals(CommPath.IPC, DeviceCollectives.choose(CommPath.AUTO, processes));
        assertEquals(CommPath.DEVICE, DeviceCollectives.choose(CommPath.AUTO, threadsOnCuda));
        assertEquals(CommPath.HOST, DeviceCollectives.choose(CommPath.AUTO, machines));
        assertEquals(CommPath.HOST, DeviceCollectives.choose(CommPath.AUTO, new RankPlacement(true, true, false, false)));
        String device = assertThrows(IllegalArgumentException.class, () -> DeviceCollectives.choose(CommPath.DEVICE, processes)).getMessage();
        assertTrue(device.contains("threads of one JVM") && device.contains("--comm-path auto"), device);
        String ipc = assertThrows(IllegalArgumentException.class, () -> DeviceCollectives.choose(CommPath.IPC, threadsOnCuda)).getMessage();
        assertTrue(ipc.contains("--comm-path device"), ipc);
        assertEquals(CommPath.HOST, DeviceCollectives.choose(CommPath.HOST, threadsOnCuda));
    }
}
