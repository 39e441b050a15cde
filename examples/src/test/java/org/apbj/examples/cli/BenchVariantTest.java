package org.apbj.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apbj.parallel.strategy.Method;
import org.apbj.parallel.transfer.CommPath;
import org.junit.jupiter.api.Test;

class BenchVariantTest {

    @Test
    void variantsNameMethodPathAndOverlapAndPrintBackTheSame() {
        List<BenchVariant> v = BenchVariant.parseList("apb, ring,ring/no-overlap,apb@host,apb@ipc/no-overlap,ring");
        assertEquals(List.of(BenchVariant.of(Method.APB), BenchVariant.of(Method.RING), new BenchVariant(Method.RING, CommPath.AUTO, false),
                new BenchVariant(Method.APB, CommPath.HOST, true), new BenchVariant(Method.APB, CommPath.IPC, false)), v, "a repeat is dropped");
        assertEquals(List.of("apb", "ring", "ring/no-overlap", "apb@host", "apb@ipc/no-overlap"), v.stream().map(BenchVariant::label).toList());
        for (BenchVariant b : v) assertEquals(b, BenchVariant.parse(b.label()));
    }

    @Test
    void badVariantsAreRefusedNamingTheForm() {
        String path = assertThrows(IllegalArgumentException.class, () -> BenchVariant.parseList("apb@nvlink")).getMessage();
        assertTrue(path.contains("nvlink") && path.contains("METHOD[@device|@ipc|@host][/no-overlap]"), path);
        String empty = assertThrows(IllegalArgumentException.class, () -> BenchVariant.parseList("apb@")).getMessage();
        assertTrue(empty.contains("no path after @"), empty);
        String dense = assertThrows(IllegalArgumentException.class, () -> BenchVariant.parseList("dense/no-overlap")).getMessage();
        assertTrue(dense.contains("dense runs on one rank"), dense);
        assertThrows(IllegalArgumentException.class, () -> BenchVariant.parseList(" , "));
    }
}
