package org.apbj.parallel.rank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DeviceChoiceTest {

    @Test
    void rankUsesGpuRankModCountUnlessMapped() {
        assertEquals("cuda:0", DeviceChoice.spec("auto", 0, null, 2));
        assertEquals("cuda:1", DeviceChoice.spec("auto", 3, null, 2));
        assertEquals("cuda:5", DeviceChoice.spec("cuda", 5, "", 8));
        assertEquals("cuda:3", DeviceChoice.spec("cuda", 2, "3,1", 4));   // map[2 mod 2] = 3
        assertEquals("cuda:1", DeviceChoice.spec("auto", 1, " 3, 1 ", 4));
    }

    @Test
    void withoutGpusOrWithAnExplicitDeviceTheSpecIsKept() {
        assertEquals("auto", DeviceChoice.spec("auto", 1, null, 0));
        assertEquals("java:2", DeviceChoice.spec("java:2", 1, null, 8));
        assertEquals("opencl:pocl", DeviceChoice.spec("opencl:pocl", 0, "1", 8));
    }

    @Test
    void badMapsAndMissingGpusAreExplained() {
        var e = assertThrows(IllegalArgumentException.class, () -> DeviceChoice.spec("cuda", 0, null, 0));
        assertTrue(e.getMessage().contains("no CUDA device"), e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> DeviceChoice.spec("auto", 1, "0,7", 2));
        assertTrue(e2.getMessage().contains("rank 1 GPU 7"), e2.getMessage());
        var e3 = assertThrows(IllegalArgumentException.class, () -> DeviceChoice.spec("auto", 0, "a,b", 2));
        assertTrue(e3.getMessage().contains("comma-separated GPU indices"), e3.getMessage());
    }
}
