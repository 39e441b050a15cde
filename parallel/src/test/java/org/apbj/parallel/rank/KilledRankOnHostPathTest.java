package org.apbj.parallel.rank;

import java.nio.file.Path;
import org.apbj.parallel.strategy.TinyNiah;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rank process killed while the others wait in a collective on the host path (pinned staging
 * and MPJ niodev, the path between machines) ends the job with the cause within 30 s, on the
 * test device. The IPC path's twin needs CUDA: {@link CudaRankMainTest}.
 */
class KilledRankOnHostPathTest {

    @TempDir Path dir;

    @Test
    @Timeout(300)
    void aRankKilledMidCollectiveOnTheHostPathEndsTheJobWithinThirtySeconds() throws Exception {
        KilledRankJob.run(dir, TinyNiah.testDeviceSpec(), "host");
    }
}
