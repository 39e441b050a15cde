package org.apbj.tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * llama.cpp's tokenizer test vectors: {@code NAME.inp} holds inputs separated by the line
 * {@code __ggml_vocab_test__}, {@code NAME.out} one line of space-separated ids per input.
 */
record VectorCases(List<String> inputs, List<int[]> expected) {
    private static final String SEPARATOR = "\n__ggml_vocab_test__\n";

    static VectorCases read(Path dir, String name) throws IOException {
        String inp = Files.readString(dir.resolve(name + ".inp"), StandardCharsets.UTF_8);
        String out = Files.readString(dir.resolve(name + ".out"), StandardCharsets.UTF_8);
        List<String> inputs = Arrays.asList(inp.split(SEPARATOR, -1));
        List<String> lines = Arrays.asList(out.split("\n", -1));
        if (inputs.size() != lines.size()) {
            throw new IllegalStateException(name + ": " + inputs.size() + " inputs but " + lines.size() + " output lines");
        }
        List<int[]> expected = new ArrayList<>();
        for (String line : lines) {
            String t = line.trim();
            expected.add(t.isEmpty() ? new int[0] : Arrays.stream(t.split("\\s+")).mapToInt(Integer::parseInt).toArray());
        }
        return new VectorCases(inputs, expected);
    }
}
