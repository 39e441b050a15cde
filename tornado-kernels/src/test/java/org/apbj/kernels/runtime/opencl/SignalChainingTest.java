package org.apbj.kernels.runtime.opencl;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/** The guard against PoCL's LLVM replacing the JVM's signal handlers (random exit 139). */
class SignalChainingTest {
    /** The build preloads libjsig into test JVMs (root pom); without it PoCL tests crash at random. */
    @Test
    void testJvmHasTheSignalChainingLibrary() throws Exception {
        if (!System.getProperty("os.name").toLowerCase().contains("linux")) return;
        String maps = Files.readString(Path.of("/proc/self/maps"));
        assertTrue(maps.contains(SignalChaining.LIBRARY),
                "libjsig is not loaded in the test JVM: the surefire configuration's LD_PRELOAD is missing or wrong");
        assertDoesNotThrow(() -> SignalChaining.requireFor("Portable Computing Language"));
    }

    @Test
    void recognisesPocl() {
        assertTrue(SignalChaining.isPocl("Portable Computing Language"));
        assertTrue(SignalChaining.isPocl("pocl 5.0"));
        assertFalse(SignalChaining.isPocl("NVIDIA CUDA"));
    }

    @Test
    void messageNamesTheFix() {
        String m = SignalChaining.missingMessage("Portable Computing Language");
        assertTrue(m.contains("LD_PRELOAD=") && m.contains("/lib/libjsig.so"), m);
        assertTrue(m.contains("Portable Computing Language"), m);
    }
}
