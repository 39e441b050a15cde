package org.apbj.examples.eval;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

/** The samples of one (task, length, seed), with the SHA-256 that makes runs comparable. */
public record SampleSet(String task, int length, long seed, List<Sample> samples, String sha256) {
    public SampleSet {
        samples = List.copyOf(samples);
    }

    public static SampleSet of(String task, int length, long seed, List<Sample> samples) {
        MessageDigest md = Seeds.digest();
        for (Sample s : samples) {
            md.update(s.canonical().getBytes(StandardCharsets.UTF_8));
            md.update((byte) '\n');
        }
        return new SampleSet(task, length, seed, samples, HexFormat.of().formatHex(md.digest()));
    }
}
