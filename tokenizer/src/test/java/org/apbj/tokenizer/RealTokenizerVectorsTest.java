package org.apbj.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Every case of llama.cpp's vectors (shared/tokenizers/vectors) against the real Llama-3 and Qwen-2.5 files. */
class RealTokenizerVectorsTest {

    @TestFactory
    List<DynamicTest> llama3() throws IOException {
        return cases("llama3", "llama-bpe");
    }

    @TestFactory
    List<DynamicTest> qwen25() throws IOException {
        return cases("qwen2_5", "qwen2");
    }

    private static List<DynamicTest> cases(String tokenizerName, String vectorsName) throws IOException {
        Tokenizer tokenizer = SharedTokenizers.get(tokenizerName);
        VectorCases vectors = VectorCases.read(TestFiles.vectors(), vectorsName);
        assertEquals(47, vectors.inputs().size(), "expected 47 cases in " + vectorsName);
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < vectors.inputs().size(); i++) {
            String text = vectors.inputs().get(i);
            int[] expected = vectors.expected().get(i);
            tests.add(DynamicTest.dynamicTest(vectorsName + " #" + i, () -> {
                int[] ids = tokenizer.encode(text);
                assertArrayEquals(expected, ids, () -> "ids of \"" + text + "\"");
                assertEquals(text, tokenizer.decode(ids), "round trip");
            }));
        }
        return tests;
    }
}
