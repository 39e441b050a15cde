package org.apbj.model.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.apbj.weights.ModelConfig;
import org.junit.jupiter.api.Test;

class RopeFrequenciesTest {

    static ModelConfig llama31(ModelConfig.RopeScaling s) {
        return new ModelConfig(ModelConfig.Family.LLAMA, 4096, 14336, 32, 32, 8, 128, 1e-5f, 500000.0, s,
                128256, false, 131072, false, 128000, new int[] {128001});
    }

    @Test
    void plainRopeIsThetaToTheMinusTwoIOverD() {
        float[] inv = RopeFrequencies.inverse(llama31(null));
        assertEquals(64, inv.length);
        assertEquals(1.0f, inv[0]);
        assertEquals(Math.pow(500000, -2.0 / 128), inv[1], 1e-7);  // fp32-rounded
        assertEquals(Math.pow(500000, -126.0 / 128), inv[63], Math.pow(500000, -126.0 / 128) * 1e-6);
    }

    /** Llama-3.1's scaling (factor 8, bands at wavelengths 8192/4 and 8192/1), checked band by band. */
    @Test
    void llama3ScalingKeepsHighFrequenciesDividesLowOnesAndBlendsBetween() {
        var s = new ModelConfig.RopeScaling(8, 1, 4, 8192);
        float[] plain = RopeFrequencies.inverse(llama31(null));
        float[] scaled = RopeFrequencies.inverse(llama31(s));
        int kept = 0, divided = 0, blended = 0;
        for (int i = 0; i < 64; i++) {
            double wavelength = 2 * Math.PI / plain[i];
            if (wavelength < 2048) {
                assertEquals(plain[i], scaled[i], 0f, "dim " + i);
                kept++;
            } else if (wavelength > 8192) {
                assertEquals(plain[i] / 8, scaled[i], plain[i] * 1e-6, "dim " + i);
                divided++;
            } else {
                // ratio 8192/wavelength runs from 1 (low end) to 4 (high end): weight (ratio - 1)/3 on the unscaled frequency
                double w = (8192 / wavelength - 1) / 3;
                assertEquals(plain[i] * (w + (1 - w) / 8), scaled[i], plain[i] * 1e-6, "dim " + i);
                blended++;
            }
        }
        // the band sizes for d = 128, theta = 500000 (computed independently in Python)
        assertEquals(List.of(29, 29, 6), List.of(kept, divided, blended));
    }
}
