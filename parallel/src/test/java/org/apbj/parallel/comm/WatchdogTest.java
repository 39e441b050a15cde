package org.apbj.parallel.comm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class WatchdogTest {

    @Test
    void firesWithRankAndOperationWhenACallBlocksTooLong() throws Exception {
        AtomicReference<String> fired = new AtomicReference<>();
        CountDownLatch latch = new CountDownLatch(1);
        try (Watchdog w = new Watchdog(3, Duration.ofMillis(200), msg -> { fired.set(msg); latch.countDown(); })) {
            Thread blocked = new Thread(() -> {
                try {
                    w.guard("allGather of 2x8 FLOAT", () -> Thread.sleep(5_000));
                } catch (CommunicationException expectedOnInterrupt) {
                    // the test interrupts the blocked call once the watchdog has fired
                }
            });
            blocked.setDaemon(true);
            blocked.start();
            assertTrue(latch.await(5, TimeUnit.SECONDS), "watchdog did not fire");
            blocked.interrupt();
        }
        assertTrue(fired.get().startsWith("rank 3: allGather of 2x8 FLOAT did not complete"), fired.get());
    }

    @Test
    void staysQuietForCallsThatReturnInTime() throws Exception {
        AtomicReference<String> fired = new AtomicReference<>();
        try (Watchdog w = new Watchdog(0, Duration.ofMillis(300), fired::set)) {
            for (int i = 0; i < 20; i++) w.guard("barrier", () -> {});
            Thread.sleep(600);
        }
        assertNull(fired.get());
    }

    @Test
    void timeoutPropertyIsParsedAndValidated() {
        String old = System.getProperty(CommTimeout.PROPERTY);
        try {
            System.setProperty(CommTimeout.PROPERTY, "2.5");
            assertEquals(Duration.ofMillis(2500), CommTimeout.fromSystemProperty());
            System.setProperty(CommTimeout.PROPERTY, "-1");
            var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, CommTimeout::fromSystemProperty);
            assertTrue(e.getMessage().contains(CommTimeout.PROPERTY));
            System.clearProperty(CommTimeout.PROPERTY);
            assertEquals(Duration.ofSeconds(300), CommTimeout.fromSystemProperty());
        } finally {
            if (old == null) System.clearProperty(CommTimeout.PROPERTY); else System.setProperty(CommTimeout.PROPERTY, old);
        }
    }
}
