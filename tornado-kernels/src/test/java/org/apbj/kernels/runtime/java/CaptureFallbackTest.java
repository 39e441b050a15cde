package org.apbj.kernels.runtime.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicInteger;

import org.apbj.kernels.runtime.Device;
import org.apbj.kernels.runtime.Devices;
import org.apbj.kernels.runtime.Replayable;
import org.junit.jupiter.api.Test;

/**
 * {@link Device#capture} on a device without graphs: capturing records without running, each
 * replay runs the work once more, and a closed recording refuses to replay.
 */
class CaptureFallbackTest {

    @Test
    void javaDeviceRerunsTheWorkAtEachReplay() {
        try (Device d = Devices.open("java")) {
            assertFalse(d.capturesGraphs());
            AtomicInteger runs = new AtomicInteger();
            Replayable r = d.capture(runs::incrementAndGet);
            assertEquals(0, runs.get(), "capturing must not run the work");
            assertFalse(r.isGraph());
            r.replay();
            r.replay();
            assertEquals(2, runs.get());
            r.close();
            assertThrows(IllegalStateException.class, r::replay);
        }
    }
}
