package org.apbj.parallel.strategy;

import org.apbj.kernels.testing.CountingDevice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.apbj.model.DeviceModel;
import org.apbj.model.LayerSteps;
import org.apbj.parallel.comm.InProcessRanks;
import org.apbj.parallel.rank.SerializedLayerSteps;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A prefill makes the host wait only where it needs device data: never a synchronisation; copies
 * to the host only to stage what is communicated on the host path (OpenCL and the Java device
 * here: APB's passing blocks, ring's K/V blocks on the ranks that send them); uploads and the
 * per-layer KV copies are queued. Counted by wrapping
 * each rank's device (tiny-niah, PoCL or the Java device).
 */
class StrategyWaitsTest {

    /** What one rank's prefill did, counted. */
    record Counts(int rank, long synchronizations, long copiesToHost, long otherWaitingCopies, long enqueuedCopies, long marks) {}

    @ParameterizedTest(name = "{0} on {1} ranks")
    @CsvSource({"dense, 1", "star, 2", "apb, 2", "ring, 2"})
    void prefillWaitsOnlyToStageWhatItCommunicates(String methodId, int hosts) {
        Method method = Method.parse(methodId);
        int[][] req = TinyNiah.request(121);
        List<Counts> counts = InProcessRanks.run(hosts, Duration.ofSeconds(120), comm -> {
            CountingDevice device = new CountingDevice(TinyNiah.testDevice());
            try (device; DeviceModel model = TinyNiah.load(device)) {
                LayerSteps steps = SerializedLayerSteps.ifSharedCpu(model);
                model.reserve(256, 256);   // sized before the request, as RankJob does: prefill's own reserve is a no-op
                try (Strategy s = Strategies.create(method, steps, comm, StrategyOptions.defaults(TinyNiah.QPOS, 2))) {
                    device.reset();
                    s.prefill(req[0], req[1]);
                    Counts c = new Counts(comm.rank(), device.synchronizations.get(), device.copiesToHost.get(),
                            device.otherWaitingCopies.get(), device.enqueuedCopies.get(), device.marks.get());
                    s.answer(2);
                    return c;
                }
            }
        });
        int layers = 4;   // tiny-niah
        for (Counts c : counts) {
            String where = method.id() + " rank " + c.rank() + ": " + c;
            assertEquals(0, c.synchronizations(), where);
            assertEquals(0, c.otherWaitingCopies(), where + ": uploads and device copies are queued");
            assertTrue(c.enqueuedCopies() >= 2, where + ": tokens and positions at least");
            assertTrue(c.marks() > 0 && c.marks() % 2 == 0, where + ": sections are timed by pairs of marks");
            boolean last = c.rank() == hosts - 1;
            // the Java device's ranks share memory (device path: no staging); OpenCL's go through the host
            boolean hostPath = !TinyNiah.testDeviceSpec().startsWith("java");
            long staged = !hostPath ? 0 : switch (method) {
                case DENSE, STAR -> 0;                        // nothing communicated in phase 1
                case APB -> 2L * layers;                      // K and V of the passing block (the host path; the last rank's are zeros)
                case RING -> last ? 0 : 2L * layers;          // its K and V block, to the next rank; the last rank sends none
            };
            assertEquals(staged, c.copiesToHost(), where + ": copies to the host");
        }
    }
}
