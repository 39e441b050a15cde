package org.apbj.examples.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Hand-computed cases for the reference metrics, edge cases of RULER and InfiniteBench included. */
class ScoringTest {

    @Test
    void rulerPostprocessTurnsControlCharactersIntoNewlinesAndStrips() {
        assertEquals("foo\nbar", Scoring.rulerPostprocess("  \tfoo\u0001bar\n "));
        assertEquals("a\n\nb", Scoring.rulerPostprocess("a\t\rb"));
        assertEquals("", Scoring.rulerPostprocess(" \n\t "));
    }

    @Test
    void stringMatchAllCountsTheShareOfReferencesCaseInsensitively() {
        assertEquals(2.0 / 3, Scoring.stringMatchAll("The numbers are 123 and 456", List.of("123", "456", "789")), 1e-12);
        assertEquals(1.0, Scoring.stringMatchAll("answer: ABC-def", List.of("abc-DEF")));
        assertEquals(0.0, Scoring.stringMatchAll("", List.of("x")));
        // substring semantics: "12" is inside "123"
        assertEquals(1.0, Scoring.stringMatchAll("123", List.of("12")));
    }

    @Test
    void stringMatchPartIsOneIfAnyReferenceOccurs() {
        assertEquals(1.0, Scoring.stringMatchPart("Paris, France", List.of("London", "paris")));
        assertEquals(0.0, Scoring.stringMatchPart("Rome", List.of("London", "Paris")));
    }

    @Test
    void firstIntMatchTakesTheFirstAsciiDigitRun() {
        assertEquals("07342", Scoring.firstIntMatch("The pass key is 07342. Remember it."));
        assertEquals("3", Scoring.firstIntMatch("-3.5 degrees"));
        assertEquals("", Scoring.firstIntMatch("no digits here"));
        assertEquals("", Scoring.firstIntMatch("\uff11\uff12\uff13")); // full-width digits are not [0-9]
        assertEquals("42", Scoring.firstIntMatch("x42y7"));
    }

    @Test
    void passkeyComparesDigitStringsSoLeadingZerosMatter() {
        assertEquals(1.0, Scoring.firstNumber(" 07342. 07342 is the pass key", "07342"));
        assertEquals(0.0, Scoring.firstNumber(" 7342", "07342"));    // the InfiniteBench quirk
        assertEquals(0.0, Scoring.firstNumber(" 1234512345", "12345")); // run continues: no match
        assertEquals(0.0, Scoring.firstNumber(" the pass key", "12345"));
        assertEquals(1.0, Scoring.score(Metric.FIRST_NUMBER, "12345.", List.of("12345")));
    }

    @Test
    void kvRetrievalNeedsTheLabelAsAWholeWord() {
        String label = "ab12-cd34";
        assertEquals(1.0, Scoring.wordMatch("The value is: \"ab12-cd34\".", label));
        assertEquals(1.0, Scoring.wordMatch("{ab12-cd34}", label));
        assertEquals(1.0, Scoring.wordMatch("ab12-cd34's", label)); // ' becomes a space
        assertEquals(0.0, Scoring.wordMatch("ab12-cd345", label));
        assertEquals(0.0, Scoring.wordMatch("(ab12-cd34)", label));  // parentheses are not stripped
    }

    @Test
    void mathFindComparesTheFirstNumberNumerically() {
        assertEquals(1.0, Scoring.numberValue("42.", "42"));       // "42." has no digits after the point
        assertEquals(1.0, Scoring.numberValue("-42", "42"));       // sign ignored, like the regex
        assertEquals(0.0, Scoring.numberValue("42.0", "42"));      // int() of "42.0" raises in the reference
        assertEquals(0.0, Scoring.numberValue("nothing", "42"));
        assertEquals(0.0, Scoring.numberValue("7 then 42", "42"));
        assertEquals(1.0, Scoring.numberValue("3.50", "3.5"));
        assertEquals(1.0, Scoring.numberValue("007", "7"));
    }

    @Test
    void rulerMetricsSeeThePostprocessedPrediction() {
        assertEquals(0.5, Scoring.score(Metric.ALL, "\t 111\u0002 ", List.of("111", "222")));
        assertEquals(1.0, Scoring.score(Metric.PART, "x\u0000y", List.of("x\ny")));
    }

    @Test
    void percentRoundsLikeRuler() {
        assertEquals(50.0, Scoring.percent(List.of(1.0, 0.5, 0.0)));
        assertEquals(33.33, Scoring.percent(List.of(1.0, 0.0, 0.0)));
        assertEquals(66.67, Scoring.percent(List.of(1.0, 1.0, 0.0)));
    }

    @Test
    void aSampleWithoutReferencesIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> Scoring.score(Metric.ALL, "x", List.of()));
        assertThrows(IllegalArgumentException.class, () -> Metric.parse("exact"));
        assertEquals(Metric.FIRST_NUMBER, Metric.parse("first_number"));
    }
}
