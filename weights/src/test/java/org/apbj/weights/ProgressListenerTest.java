package org.apbj.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProgressListenerTest {
    @Test
    void linesPrintOneLinePerTenthAndNoCarriageReturns() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ProgressListener p = ProgressListener.lines(new PrintStream(buf, true, StandardCharsets.UTF_8), "synthetic model");
        long total = 2_000_000_000L;
        for (long w = 0; w <= total; w += 8 << 20) p.onProgress(w, total, "model.safetensors");
        p.onProgress(total, total, "retaining_heads.safetensors");
        String out = buf.toString(StandardCharsets.UTF_8);
        assertFalse(out.contains("\r"), out);
        List<String> lines = out.lines().toList();
        assertEquals(10, lines.size(), out);
        assertEquals("synthetic model: 10% of 2.00 GB, model.safetensors", lines.getFirst());
        assertEquals("synthetic model: 100% of 2.00 GB, retaining_heads.safetensors", lines.getLast());
    }
}
