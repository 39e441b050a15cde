package org.apbj.parallel.transfer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.apbj.kernels.api.BF16Array;
import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.Devices;
import org.apbj.kernels.testing.TestSeed;
import org.apbj.parallel.comm.InProcessRanks;
import org.apbj.parallel.comm.RankFailedException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * On CUDA (rank r on GPU r mod count): the device path (same GPU: device copies; several GPUs:
 * peer copies) and the host path (pinned, chunked) move the bytes bit for bit like the
 * communicator, overlapping a kernel-free wait; a failing rank ends the others with its cause.
 * The IPC path between processes is run by AllGatherBench --mode=processes (scripts/gpu-parallel-run.sh).
 */
@Tag("gpu")
@ExtendWith(TestSeed.class)
class CudaCollectivesTest {
    private final long seed = TestSeed.next();

    private static Device gpu(int rank) {
        return Devices.open("cuda:" + (rank % Devices.cudaDeviceCount()));
    }

    @ParameterizedTest(name = "{0} path, {1} ranks")
    @CsvSource({"device, 2", "device, 4", "host, 4"})
    void allGatherAndShiftMatchTheCommunicator(String pathId, int hosts) {
        assumeTrue(Devices.cudaDeviceCount() > 0, "no CUDA device");
        System.setProperty(HostPath.CHUNK_PROPERTY, String.valueOf(1 << 20));
        try {
            InProcessRanks.run(hosts, Duration.ofSeconds(60), comm -> {
                try (Device d = gpu(comm.rank()); DeviceCollectives dc = DeviceCollectives.open(comm, d, CommPath.parse(pathId))) {
                    assertEquals(CommPath.parse(pathId), dc.path());
                    int count = 3 * (1 << 20) + 17;   // several host pieces, not a multiple of anything
                    for (int op = 0; op < 3; op++) {
                        Random rnd = new Random(seed + 1000L * comm.rank() + op);
                        short[] mine = new short[count];
                        for (int i = 0; i < count; i++) mine[i] = (short) rnd.nextInt();
                        short[] expect = new short[hosts * count];
                        comm.allGather(mine, expect);
                        BF16Array host = BF16Array.allocate(count);
                        for (int i = 0; i < count; i++) host.set(i, mine[i]);
                        try (BF16Array send = d.allocBF16(count); BF16Array recv = d.allocBF16((long) hosts * count)) {
                            d.copy(send, 0, host, 0, count);
                            dc.allGather(send, 0, count, recv, 0).await();
                            BF16Array back = BF16Array.allocate((long) hosts * count);
                            d.copy(back, 0, recv, 0, (long) hosts * count);
                            short[] got = new short[hosts * count];
                            for (int i = 0; i < got.length; i++) got[i] = back.get(i);
                            assertArrayEquals(expect, got, "op " + op + " rank " + comm.rank() + " seed " + seed);
                            // chain shift of the same data: rank r receives rank r-1's
                            int sendCount = comm.isLast() ? 0 : count, recvCount = comm.rank() == 0 ? 0 : count;
                            dc.shift(sendCount, recvCount, List.of(new Exchange.Part(send, 0, recv, 0))).await();
                            if (recvCount > 0) {
                                d.copy(back, 0, recv, 0, count);
                                for (int i = 0; i < count; i += 9973) {
                                    assertEquals(expect[(comm.rank() - 1) * count + i], back.get(i), "shift element " + i + " seed " + seed);
                                }
                            }
                        }
                    }
                }
                return null;
            });
        } finally {
            System.clearProperty(HostPath.CHUNK_PROPERTY);
        }
    }

    /**
     * APB's use: a prefix gather joined on the device (awaitReceived), the send array released
     * and at once overwritten by the sender's compute stream; the later ranks must still get the
     * block as it was, every time (16 MiB per block, so a copy that raced the overwrite would show).
     */
    @ParameterizedTest(name = "{0} path")
    @CsvSource({"device", "host"})
    void aSenderOverwritesItsBlockOnlyAfterTheLaterRanksReadIt(String pathId) {
        assumeTrue(Devices.cudaDeviceCount() > 0, "no CUDA device");
        int hosts = 4, count = 8 << 20;
        InProcessRanks.run(hosts, Duration.ofSeconds(60), comm -> {
            int me = comm.rank();
            try (Device d = gpu(me); DeviceCollectives dc = DeviceCollectives.open(comm, d, CommPath.parse(pathId));
                 BF16Array send = d.allocBF16(count); BF16Array recv = d.allocBF16((long) hosts * count);
                 BF16Array even = d.allocBF16(count); BF16Array odd = d.allocBF16(count); BF16Array garbage = d.allocBF16(count)) {
                BF16Array host = BF16Array.allocate(count), back = BF16Array.allocate((long) hosts * count);
                for (int parity = 0; parity < 3; parity++) {
                    for (int i = 0; i < count; i++) host.set(i, parity == 2 ? (short) -1 : pattern(me, parity, i));
                    d.copy(parity == 0 ? even : parity == 1 ? odd : garbage, 0, host, 0, count);
                }
                for (int op = 0; op < 6; op++) {
                    d.enqueueCopy(send, 0, op % 2 == 0 ? even : odd, 0, count);
                    Transfer t = dc.allGatherPrefix(count, List.of(new Exchange.Part(send, 0, recv, 0)));
                    t.awaitReceived();
                    t.releaseSend();
                    d.enqueueCopy(send, 0, garbage, 0, count);   // queued at once: it must wait for ranks me+1.. to have read send
                    d.copy(back, 0, recv, 0, (long) hosts * count);
                    for (int j = 0; j < me; j++) {
                        for (int i = 0; i < count; i += 4099) {
                            assertEquals(pattern(j, op % 2, i), back.get((long) j * count + i),
                                    "rank " + me + " op " + op + ": element " + i + " of rank " + j + "'s block");
                        }
                    }
                }
            }
            return null;
        });
    }

    private static short pattern(int rank, int parity, int i) { return (short) (rank * 7919 + parity * 131 + i); }

    @ParameterizedTest(name = "{0} path")
    @CsvSource({"device", "host"})
    void aRankThatThrowsEndsTheOthersWithItsCause(String pathId) {
        assumeTrue(Devices.cudaDeviceCount() > 0, "no CUDA device");
        long t0 = System.nanoTime();
        RankFailedException e = assertThrows(RankFailedException.class, () -> InProcessRanks.run(3, Duration.ofSeconds(20), comm -> {
            try (Device d = gpu(comm.rank()); DeviceCollectives dc = DeviceCollectives.open(comm, d, CommPath.parse(pathId));
                 BF16Array send = d.allocBF16(1 << 20); BF16Array recv = d.allocBF16(3 << 20)) {
                if (comm.rank() == 2) throw new IllegalStateException("rank 2 fails on the GPU path");
                dc.allGather(send, 0, 1 << 20, recv, 0).await();
            }
            return null;
        }));
        assertEquals(2, e.failure().rank(), e.toString());
        assertTrue(System.nanoTime() - t0 < 30e9);
    }
}
