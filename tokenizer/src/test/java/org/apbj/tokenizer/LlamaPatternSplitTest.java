package org.apbj.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The hand-written splitter against java.util.regex running the translated pattern (itself
 * checked against Hugging Face in PreTokenizerBoundaryTest and ReferenceOracleTest): random
 * strings, and every code point in a set of contexts that exercise each alternative.
 */
class LlamaPatternSplitTest {
    private static final String[] CONTEXTS = {"'%sx", "a%sb", " %s\n", "%s1234", " \u00A0%s ", "x %s%s'S", "\n%s\r\n  "};

    @ParameterizedTest
    @ValueSource(strings = {LlamaPatternSplit.LLAMA3_REGEX, LlamaPatternSplit.QWEN_REGEX})
    void sameSplitsAsTheRegex(String regex) {
        PreTokenizer fast = LlamaPatternSplit.forRegex(regex);
        PreTokenizer slow = new PreTokenizer.Split(OnigurumaPatterns.compile(regex), PreTokenizer.Behavior.ISOLATED, false);
        RandomText random = new RandomText(regex.length(), List.of("<|eot_id|>"));
        for (int i = 0; i < 20_000; i++) {
            String text = random.next(i % 50 == 0 ? 100 : 10, true);
            assertEquals(split(slow, text), split(fast, text), () -> ReferenceOracleTest.escape(text));
        }
        for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp += cp < 0x10000 ? 1 : 61) {
            if (Character.getType(cp) == Character.SURROGATE) continue;
            String c = Character.toString(cp);
            for (String context : CONTEXTS) {
                String text = context.replace("%s", c);
                assertEquals(split(slow, text), split(fast, text), () -> ReferenceOracleTest.escape(text));
            }
        }
    }

    private static List<String> split(PreTokenizer p, String text) {
        List<String> out = new ArrayList<>();
        p.split(text, out);
        return out;
    }
}
