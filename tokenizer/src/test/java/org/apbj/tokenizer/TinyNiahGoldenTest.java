package org.apbj.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** The 30 golden cases of models/tiny-niah/golden/tokenizer_cases.json (from the HF tokenizer, add_special_tokens=false). */
class TinyNiahGoldenTest {
    private static Tokenizer tokenizer;
    private static JsonNode cases;

    @BeforeAll
    static void load() throws IOException {
        tokenizer = Tokenizer.load(TestFiles.tinyNiah());
        cases = new ObjectMapper().readTree(TestFiles.tinyNiah().resolve("golden/tokenizer_cases.json").toFile());
    }

    @TestFactory
    List<DynamicTest> goldenCases() {
        assertEquals(30, cases.path("cases").size(), "the golden file should hold 30 cases");
        List<DynamicTest> tests = new ArrayList<>();
        int index = 0;
        for (JsonNode c : cases.path("cases")) {
            int n = index++;
            tests.add(DynamicTest.dynamicTest("case " + n, () -> {
                String text = c.path("text").asText();
                int[] expected = new int[c.path("ids").size()];
                for (int i = 0; i < expected.length; i++) expected[i] = c.path("ids").get(i).asInt();
                int[] actual = tokenizer.encode(text);
                assertArrayEquals(expected, actual, () -> "ids of " + text);
                for (int i = 0; i < expected.length; i++) {
                    assertEquals(c.path("tokens").get(i).asText(), tokenizer.token(actual[i]).orElseThrow(), "token " + i + " of " + text);
                }
                assertEquals(c.path("decoded").asText(), tokenizer.decode(actual), "decode of " + text);
            }));
        }
        return tests;
    }
}
