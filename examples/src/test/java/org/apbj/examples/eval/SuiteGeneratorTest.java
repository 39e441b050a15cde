package org.apbj.examples.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apbj.examples.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The generators against the embedded tiny-niah tokenizer and chat format. */
class SuiteGeneratorTest {
    static final int RANKS = 4;

    static SuiteGenerator generator(Style style) {
        return new SuiteGenerator(TestModels.tinyNiahTokens(), style, RANKS);
    }

    @ParameterizedTest
    @EnumSource(Task.class)
    void everyTaskHitsTheRequestedLengthWithinOnePercentAndIsDeterministic(Task task) {
        // One UUID pair (kv, multikey_3's needle haystack) is ~60 tiny-niah tokens: more than 1% of 3000.
        int length = task == Task.KV_RETRIEVAL || task == Task.NIAH_MULTIKEY_3 ? 8192 : 3000;
        long seed = 1234 + task.ordinal();
        SampleSet a = generator(Style.TINY_NIAH).generate(task, length, seed, 2);
        SampleSet b = generator(Style.TINY_NIAH).generate(task, length, seed, 2);
        assertEquals(a.sha256(), b.sha256(), "same seed, same samples");
        assertEquals(a.samples(), b.samples());
        SampleSet c = generator(Style.TINY_NIAH).generate(task, length, seed + 1, 2);
        assertNotEquals(a.sha256(), c.sha256(), "another seed, other samples");
        for (Sample s : a.samples()) {
            // Independent count: render with the chat format and count the tokens it produces.
            var prompt = TestModels.tinyNiahTokens().format().render(s.context(), s.question(), s.answerPrefix());
            int total = prompt.context().length + prompt.query().length;
            assertEquals(total, s.totalTokens(), "recorded length = rendered length");
            assertTrue(Math.abs(total - length) <= 0.01 * length, s.id() + ": " + total + " tokens for " + length);
            for (String out : s.outputs()) assertFalse(out.isBlank());
        }
    }

    @Test
    void tinyNiahSingleReproducesTheGoldenPromptFormat() throws Exception {
        var meta = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(TestModels.tinyNiah().resolve("golden/golden_meta.json").toFile()).get("prompt");
        var draft = Task.NIAH_SINGLE_1.draft(Style.TINY_NIAH, new java.util.SplittableRandom(5));
        // The golden prompt holds 194 noise sentences with the needle after the 128th.
        Parts p = draft.build(194, new double[] {128.0 / 194});
        String key = draft.outputs().getFirst();
        Matcher m = Pattern.compile("for (\\S+) is: " + key + "\\.").matcher(p.context());
        assertTrue(m.find(), p.context());
        String ours = "<|bos|><|user|>" + p.context().replace(m.group(1), "kraikive-toufrima").replace(key, "5610922");
        assertEquals(meta.get("context_text").asText(), ours);
        String query = p.question() + "<|assistant|>" + p.answerPrefix();
        assertEquals(meta.get("query_text").asText(), query.replace(m.group(1), "kraikive-toufrima"));
    }

    @Test
    void referenceStyleMakesOneNeedleTemplatesSingularLikeRuler() {
        Sample s = generator(Style.REFERENCE).sample(Task.NIAH_SINGLE_2, 2000, 9, 0);
        assertTrue(s.context().startsWith("A special magic number is hidden within the following text. Make sure to"
                + " memorize it. I will quiz you about the number afterwards.\n"), s.context().substring(0, 200));
        assertTrue(s.question().matches("\\nWhat is the special magic number for \\S+ mentioned in the provided text\\?"), s.question());
        assertTrue(s.answerPrefix().endsWith("mentioned in the provided text is"), s.answerPrefix());
        assertTrue(s.context().contains("One of the special magic numbers for "), "needles keep RULER's plural");
        // several values asked for: plural
        Sample mv = generator(Style.REFERENCE).sample(Task.NIAH_MULTIVALUE, 2000, 9, 0);
        assertTrue(mv.context().startsWith("Some special magic numbers are hidden"));
        assertEquals(4, mv.outputs().size());
    }

    @Test
    void primaryNeedlesCoverEveryRankBlockAndEveryBoundary() {
        DepthPlan plan = new DepthPlan(RANKS);
        int n = plan.strata().size();
        SampleSet set = generator(Style.TINY_NIAH).generate(Task.NIAH_SINGLE_1, 4096, 77, n);
        for (int i = 0; i < n; i++) {
            Sample s = set.samples().get(i);
            assertEquals(plan.forSample(i).label(), s.stratum(), s.id());
            // Check the label against the recorded token span, independently of the fitter.
            int start = s.needleTokens().getFirst();
            int len = TestModels.tinyNiahTokens().textTokens(needleOf(s));
            int block = (s.contextTokens() + RANKS - 1) / RANKS;
            if (plan.forSample(i).boundary()) {
                int b = plan.forSample(i).block() * block;
                assertTrue(start < b && start + len > b, s.id() + " straddles " + b + ": " + start + "+" + len);
            } else {
                assertEquals(plan.forSample(i).block(), start / block, s.id());
                assertEquals(plan.forSample(i).block(), (start + len - 1) / block, s.id());
            }
            assertEquals((double) start / s.contextTokens(), s.depths().getFirst(), 1e-12);
        }
    }

    private static String needleOf(Sample s) {
        Matcher m = Pattern.compile("One of the special magic numbers for \\S+ is: \\d+\\.").matcher(s.context());
        assertTrue(m.find());
        return m.group();
    }

    @Test
    void needleTokenOffsetsPointAtTheNeedle() {
        Sample s = generator(Style.TINY_NIAH).sample(Task.PASSKEY, 2048, 3, 2);
        var tok = TestModels.tinyNiahTokens().format().tokenizer();
        int[] ctx = TestModels.tinyNiahTokens().format().render(s.context(), "", "").context();
        int at = s.needleTokens().getFirst();
        String after = tok.decode(java.util.Arrays.copyOfRange(ctx, at, Math.min(ctx.length, at + 12)));
        assertTrue(after.stripLeading().startsWith("The pass key is " + s.outputs().getFirst()), after);
    }

    @Test
    void answersFollowFromTheGeneratedText() {
        SuiteGenerator g = generator(Style.REFERENCE);
        // niah: every answer is in a needle naming the asked key
        Sample mk = g.sample(Task.NIAH_MULTIKEY_3, 3000, 4, 1);
        assertTrue(mk.context().contains(" is: " + mk.outputs().getFirst() + "."));
        // vt: following the chain from the value reaches exactly the answers
        Sample vt = g.sample(Task.VT, 3000, 4, 1);
        String value = vt.question().replaceAll("\\D", "");
        Map<String, String> assigned = new HashMap<>();
        Matcher m = Pattern.compile("VAR (\\w+) = (VAR (\\w+)|(\\d+))").matcher(vt.context());
        while (m.find()) assigned.put(m.group(1), m.group(3) != null ? m.group(3) : m.group(4));
        List<String> holding = assigned.keySet().stream().filter(v -> resolve(v, assigned).equals(value)).sorted().toList();
        assertEquals(vt.outputs().stream().sorted().toList(), holding);
        // cwe: the 10 answers are exactly the words listed 30 times
        Sample cwe = g.sample(Task.CWE, 3000, 4, 1);
        Map<String, Integer> counts = new HashMap<>();
        Matcher w = Pattern.compile("\\d+\\. (\\w+)").matcher(cwe.context());
        while (w.find()) counts.merge(w.group(1), 1, Integer::sum);
        assertEquals(cwe.outputs().stream().sorted().toList(),
                counts.entrySet().stream().filter(e -> e.getValue() == 30).map(Map.Entry::getKey).sorted().toList());
        assertTrue(counts.values().stream().allMatch(c -> c == 30 || c == 3));
        // fwe: answers are the 2nd-4th most frequent tokens; the most frequent is "..."
        Sample fwe = g.sample(Task.FWE, 3000, 4, 1);
        Map<String, Integer> f = new HashMap<>();
        for (String t : fwe.context().substring(fwe.context().indexOf("words. ") + 7).split(" ")) f.merge(t, 1, Integer::sum);
        List<String> byCount = f.entrySet().stream().sorted((x, y) -> y.getValue() - x.getValue()).map(Map.Entry::getKey).toList();
        assertEquals("...", byCount.getFirst());
        assertEquals(fwe.outputs(), byCount.subList(1, 4));
        // math_find: the answer is the list's extreme named in the question
        Sample mf = g.sample(Task.MATH_FIND, 3000, 4, 1);
        String list = mf.context().substring(mf.context().indexOf('[') + 1, mf.context().lastIndexOf(']'));
        List<Integer> nums = java.util.Arrays.stream(list.split(", ")).map(Integer::parseInt).toList();
        int expected = mf.answerPrefix().contains("largest") ? java.util.Collections.max(nums) : java.util.Collections.min(nums);
        assertEquals(List.of(Integer.toString(expected)), mf.outputs());
        assertEquals(1, nums.stream().filter(x -> x == expected).count(), "the extreme is unique");
        String kind = mf.answerPrefix().contains("largest") ? "largest" : "smallest";
        assertTrue(mf.context().startsWith("What is the " + kind + " number in the following list?\n\n["), mf.context());
        // kv: the asked key maps to the answer in the JSON
        Sample kv = g.sample(Task.KV_RETRIEVAL, 8192, 4, 1);
        String key = kv.question().replaceAll("(?s).*Key: \"([^\"]+)\".*", "$1");
        assertTrue(kv.context().contains("\"" + key + "\": \"" + kv.outputs().getFirst() + "\""));
    }

    private static String resolve(String v, Map<String, String> assigned) {
        String x = v;
        for (int i = 0; i < 20 && assigned.containsKey(x); i++) x = assigned.get(x);
        return x;
    }

    @Test
    void aLengthTooShortForTheTaskIsRefusedWithTheMinimum() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> generator(Style.TINY_NIAH).sample(Task.CWE, 100, 1, 0));
        assertTrue(e.getMessage().contains("too short"), e.getMessage());
    }

    @Test
    void taskListsParseGroupsAndNames() {
        assertEquals(Task.TRAINED, Task.parseList("trained"));
        assertEquals(15, Task.parseList("all").size());
        assertEquals(List.of(Task.PASSKEY, Task.NUMBER_STRING, Task.KV_RETRIEVAL, Task.MATH_FIND), Task.parseList("infbench"));
        assertEquals(List.of(Task.VT, Task.PASSKEY), Task.parseList("vt, passkey,vt"));
        assertThrows(IllegalArgumentException.class, () -> Task.parseList("niah_single_9"));
    }
}
